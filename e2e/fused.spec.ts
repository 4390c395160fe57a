import { expect, test } from '@playwright/test';

// The fused WebGPU kernels (LayerNorm, exact GELU and the attention's scaled + masked softmax, forward and
// backward: one WGSL program each) give the composite ops' values on random inputs — rows shorter than, equal
// to and longer than a workgroup, a width that is no power of two, GELU over both tails, padded keys — and
// the fused calls really launch one kernel.
test('fused WebGPU LayerNorm, GELU and masked-softmax kernels match the composite ops, forward and backward', async ({ page }) => {
  await page.goto('/bench.html');
  await page.waitForFunction(() => 'rankLabBench' in window);
  const r = await page.evaluate(async () => {
    const b = (window as unknown as { rankLabBench: { init(x: string): Promise<unknown>; fusedCheck(): Promise<{ backend: string; maxRelErr: Record<string, number>; kernels: Record<string, string[]>; tensorsLeaked: number }> } }).rankLabBench;
    await b.init('webgpu');
    return b.fusedCheck();
  });
  console.log('fused vs composite', JSON.stringify(r));
  expect(r.backend).toBe('webgpu');
  expect(r.kernels.layerNorm).toEqual(['RankLabLayerNorm']);
  expect(r.kernels.gelu).toEqual(['RankLabGelu']);
  // The backward pass runs the fused gradient kernel and none of the composite's reductions.
  expect(r.kernels.layerNormGrad).toContain('RankLabLayerNormGrad');
  expect(r.kernels.layerNormGrad).not.toContain('Mean');
  expect(r.kernels.geluGrad).toContain('RankLabGeluGrad');
  expect(r.kernels.geluGrad).not.toContain('Erf');
  expect(r.kernels.maskedSoftmax).toEqual(['RankLabMaskedSoftmax']);
  expect(r.kernels.maskedSoftmaxGrad).toContain('RankLabMaskedSoftmaxGrad');
  expect(r.kernels.maskedSoftmaxGrad).not.toContain('Softmax');
  expect(Object.keys(r.maxRelErr)).toHaveLength(12);
  for (const [q, e] of Object.entries(r.maxRelErr)) expect(e, q).toBeLessThanOrEqual(1e-5);
  expect(r.tensorsLeaked).toBe(0);
});
