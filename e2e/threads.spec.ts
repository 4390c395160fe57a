import { expect, test } from '@playwright/test';
import { switchBackend } from './setup';

type Bench = { init(b: string, threads?: number): Promise<{ backend: string; threads?: number }>; isolated(): Promise<boolean> };

// The app is served cross-origin isolated (COOP + COEP), so workers get SharedArrayBuffer and
// tfjs-backend-wasm runs its threaded SIMD build with more than one thread.
test('the page and its workers are cross-origin isolated and wasm runs multi-threaded', async ({ page }) => {
  const response = await page.goto('/bench.html');
  expect(response!.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(response!.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  await page.waitForFunction(() => 'rankLabBench' in window);
  const r = await page.evaluate(async () => {
    const b = (window as unknown as { rankLabBench: Bench }).rankLabBench;
    const isolated = await b.isolated();
    const info = await b.init('wasm', 2);
    return { isolated, info };
  });
  expect(r.isolated).toBe(true);
  expect(r.info.backend).toBe('wasm');
  expect(r.info.threads).toBe(2);
});

test('the Model page shows the wasm thread count', async ({ page }) => {
  await page.goto('/');
  await switchBackend(page, 'wasm');
  await expect(page.getByTestId('backend-threads')).toHaveText(/^[2-9]\d* threads$/);
});
