import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

// The same PyTorch-reference cases as the Vitest check (through trainStep, training mode, the reference's
// dropout masks), on the browser's real WebGPU backend and on the WebAssembly backend the app falls back to
// without a GPU, with the check's own tolerances (1e-5 for features, outputs, losses, gradients and the first
// gradient norm; 1e-4 for parameter changes and the later steps).
const file = JSON.parse(readFileSync(new URL('../tests/fixtures/reference/tiny-lora.json', import.meta.url), 'utf8')) as { cases: { name: string }[] };

for (const backend of ['webgpu', 'wasm'] as const)
  for (const fx of file.cases)
    test(`tfjs RoBERTa + LoRA training steps on ${backend} match the PyTorch reference (${fx.name})`, async ({ page }) => {
      // SwiftShader runs WebGPU on the CPU: 7 forward/backward passes take minutes on a loaded machine.
      test.setTimeout(600_000);
      await page.goto('/bench.html');
      await page.waitForFunction(() => 'rankLabBench' in window);
      const res = await page.evaluate(async ([fx, backend]) => {
        const b = (window as unknown as { rankLabBench: { init(x: string): Promise<unknown>; referenceCheck(f: unknown): Promise<Record<string, unknown>> } }).rankLabBench;
        await b.init(backend);
        return b.referenceCheck(fx);
      }, [fx, backend] as const);
      console.log(`${backend} reference ${fx.name}`, JSON.stringify(res.maxRelErr));
      expect(res.backend).toBe(backend);
      expect(res.tensorsLeaked).toBe(0);
      const tol = res.tolerances as Record<string, number>;
      for (const [q, v] of Object.entries(res.maxRelErr as Record<string, number>)) expect(v, `${fx.name} ${q}`).toBeLessThanOrEqual(tol[q]);
      expect(res.pass).toBe(true);
    });
