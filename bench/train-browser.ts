/**
 * Browser half of `npm run bench:train`: the same LoRA training step (src/core/train/bench.ts) in headless
 * Debian Chromium on webgpu (SwiftShader here), webgl, wasm and cpu, one JSON line per case and backend.
 * Serves the built app (vite build + preview) on a free port; prints figures, asserts nothing.
 * Flags: --cases tiny,roberta-base-shape  --backends webgpu,webgl,cpu  --steps N
 */
import { spawn, execSync } from 'node:child_process';
import { chromium } from '@playwright/test';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const cases = arg('--cases', 'tiny,roberta-base-shape').split(',');
const backends = arg('--backends', 'webgpu,webgl,wasm,cpu').split(',');
const steps = Number(arg('--steps', '2'));
const port = Number(arg('--port', '4190'));

async function main() {
  execSync('npx vite build', { stdio: 'ignore' });
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
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    for (const backend of backends) {
      for (const c of cases) {
        // A fresh page per case: one backend per worker, one WebGPU device per worker.
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${port}/bench.html`);
        await page.waitForFunction(() => 'rankLabBench' in window);
        try {
          const r = await page.evaluate(
            async ([b, cs, n]) => {
              const api = (window as unknown as { rankLabBench: { init(x: string): Promise<unknown>; bench(c: string, n: number): Promise<Record<string, unknown>> } }).rankLabBench;
              await api.init(b as string);
              return api.bench(cs as string, n as number);
            },
            [backend, c, steps] as const,
          );
          console.log(JSON.stringify({ ...r, backend, browser: 'chromium-headless' }));
        } catch (e) {
          console.log(JSON.stringify({ case: c, backend, error: (e as Error).message.split('\n')[0] }));
        }
        await page.close();
      }
    }
    await browser.close();
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}
main();
