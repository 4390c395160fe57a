import { expect, test } from '@playwright/test';

type Estimate = { weights: number; dropoutPools: number; trainableState: number; total: number };
type Probe = { backend: string; residentBytes: number; peakBytes: number; model: Estimate };
type Bench = { init(b: string): Promise<unknown>; memoryProbe(s: unknown): Promise<Probe> };

// The memory model (src/core/model/memory.ts) for webgpu's fused kernels against the peak tensor bytes of
// real training steps in the browser. Shapes are tiny (SwiftShader runs on the CPU) but every size in them
// is distinct, so a miscounted kind of tensor shows. Vitest does the same on cpu for the composite kernels.
const BASE = { hidden: 24, heads: 2, intermediate: 88, vocab: 1000, batch: 5, seqLen: 10, rank: 8 };
const QV = ['attention.self.query', 'attention.self.value'];
const ALL = ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense'];
const SHAPES = [
  { ...BASE, layers: 3, targets: QV, recompute: false },
  { ...BASE, layers: 4, targets: ALL, recompute: false },
  { ...BASE, layers: 4, targets: QV, recompute: true },
];
const STEP_TOL = 0.05;

test('the memory model matches the measured peak of webgpu training steps', async ({ page }) => {
  await page.goto('/bench.html');
  await page.waitForFunction(() => 'rankLabBench' in window);
  for (const shape of SHAPES) {
    const r = await page.evaluate(async (s) => {
      const b = (window as unknown as { rankLabBench: Bench }).rankLabBench;
      await b.init('webgpu');
      return b.memoryProbe(s);
    }, shape);
    const resident = r.model.weights + r.model.dropoutPools + r.model.trainableState;
    const step = r.model.total - resident, measuredStep = r.peakBytes - r.residentBytes;
    console.log('memory', JSON.stringify({ layers: shape.layers, targets: shape.targets.length, recompute: shape.recompute, measured: r.peakBytes, model: r.model.total, step: measuredStep, modelStep: step }));
    expect(r.backend).toBe('webgpu');
    expect(Math.abs(resident / r.residentBytes - 1)).toBeLessThanOrEqual(0.001);
    expect(Math.abs(step / measuredStep - 1), JSON.stringify(shape)).toBeLessThanOrEqual(STEP_TOL);
  }
});
