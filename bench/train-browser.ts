/**
 * Browser half of `npm run bench:train`: the same LoRA training step (src/core/diagnostics/bench.ts) in headless
 * Debian Chromium on webgpu (SwiftShader here), webgl, wasm and cpu, one JSON line per case and backend
 * (wasm: one per thread count). Serves the built app (vite build + preview, cross-origin isolated, so wasm
 * has threads) on a free port; prints figures, asserts nothing.
 * Flags: --cases tiny,roberta-base-shape  --backends webgpu,webgl,wasm,cpu  --threads 1,2  --steps N  --batch B  --seq S
 *        --composite (webgpu: also a row with the fused kernels switched off, the composite ops instead)
 *        --chromium-args "…" (extra browser flags, e.g. a real GPU adapter's; bench/gpu.sh)  --no-build (dist/ is current)
 * RANK_LAB_CHROMIUM: the browser to run (default /usr/bin/chromium).
 * Each row carries the WebGPU adapter the page got (`adapter`, `softwareAdapter`), so a run meant for a real GPU
 * shows when it fell back to SwiftShader.
 */
import { spawn, execSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { chromium } from '@playwright/test';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const cases = arg('--cases', 'tiny,roberta-base-shape').split(',');
const backends = arg('--backends', 'webgpu,webgl,wasm,cpu').split(',');
const steps = Number(arg('--steps', '2'));
const port = Number(arg('--port', '4190'));
// Default: 1 and every logical core of this machine (capped at tfjs' 8 thread workers).
const threadCounts = arg('--threads', `1,${Math.min(8, availableParallelism())}`).split(',').map(Number).filter((n, i, a) => n > 0 && a.indexOf(n) === i);
const batch = process.argv.includes('--batch') ? Number(arg('--batch', '10')) : undefined;
const seqLen = process.argv.includes('--seq') ? Number(arg('--seq', '64')) : undefined;

async function main() {
  if (!process.argv.includes('--no-build')) execSync('npx vite build', { stdio: 'ignore' });
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore', detached: true });
  try {
    for (let i = 0; i < 50; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/bench.html`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const extra = arg('--chromium-args', '').split(/\s+/).filter(Boolean);
    const browser = await chromium.launch({
      executablePath: process.env.RANK_LAB_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extra],
    });
    for (const backend of backends) {
      for (const threads of backend === 'wasm' ? threadCounts : [undefined]) {
        for (const [c, fused] of cases.flatMap((c) => (backend === 'webgpu' && process.argv.includes('--composite') ? [[c, false], [c, true]] : [[c, true]]) as [string, boolean][])) {
          // A fresh page per case: one backend per worker, one WebGPU device (or wasm thread pool) per worker.
          const page = await browser.newPage();
          await page.goto(`http://127.0.0.1:${port}/bench.html`);
          await page.waitForFunction(() => 'rankLabBench' in window);
          try {
            const r = await page.evaluate(
              async ([b, cs, n, t, bs, sl, f]) => {
                type Api = { init(x: string, t?: number): Promise<unknown>; bench(c: string, n: number, b?: number, s?: number, f?: boolean): Promise<Record<string, unknown>> };
                const api = (window as unknown as { rankLabBench: Api }).rankLabBench;
                await api.init(b as string, t ?? undefined);
                return api.bench(cs as string, n as number, bs ?? undefined, sl ?? undefined, f as boolean);
              },
              [backend, c, steps, threads ?? null, batch ?? null, seqLen ?? null, fused] as const,
            );
            console.log(JSON.stringify({ ...r, backend, runtime: 'chromium-headless' }));
          } catch (e) {
            console.log(JSON.stringify({ case: c, backend, ...(threads ? { threads } : {}), error: (e as Error).message.split('\n')[0] }));
          }
          await page.close();
        }
      }
    }
    await browser.close();
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}
main();
