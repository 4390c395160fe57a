import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

// The same PyTorch-reference comparison as the Vitest one, on the browser's real WebGPU backend and on the
// WebAssembly backend the app falls back to without a GPU.
for (const backend of ['webgpu', 'wasm'] as const)
test(`tfjs RoBERTa + LoRA on ${backend} matches the PyTorch reference within 1e-4`, async ({ page }) => {
  const fixture = JSON.parse(readFileSync(new URL('../tests/fixtures/reference/tiny-lora.json', import.meta.url), 'utf8'));
  await page.goto('/bench.html');
  await page.waitForFunction(() => 'rankLabBench' in window);
  const res = await page.evaluate(async ([fx, backend]) => {
    const b = (window as unknown as { rankLabBench: { init(x: string): Promise<unknown>; referenceCheck(f: unknown): Promise<Record<string, unknown>> } }).rankLabBench;
    await b.init(backend);
    return b.referenceCheck(fx);
  }, [fixture, backend] as const);
  console.log(`${backend} reference check`, JSON.stringify(res.maxRelErr));
  expect(res.backend).toBe(backend);
  expect(res.tensorsLeaked).toBe(0);
  for (const [q, v] of Object.entries(res.maxRelErr as Record<string, number>)) expect(v, q).toBeLessThanOrEqual(1e-4);
  expect(res.pass).toBe(true);
});
