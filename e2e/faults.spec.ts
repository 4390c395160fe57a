// Faults in the built app: the WebGPU device destroyed mid-trial pauses the run with the reason and Resume
// finishes it; a run trained in one tab cannot be resumed from a second tab, until the first lets go.
import { expect, test, type Page, type Worker } from '@playwright/test';
import { demoSample, switchBackend, useDataset } from './setup';

/** Upload a small sample, wait for the embedded model, Quick look with 2 trials of a few steps each. */
async function setUp(page: Page, backend: 'webgpu' | 'wasm') {
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  if (backend === 'wasm') await switchBackend(page, 'wasm');
  await useDataset(page, demoSample(30), () => expect(page.getByTestId('row-count')).toHaveText('30'));
  await page.getByTestId('tab-model').click();
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  await page.getByTestId('tab-search').click();
  await page.getByTestId('preset-quick').click();
  await page.getByTestId('batch').fill('4');
  await page.getByTestId('max-evals').fill('2');
}

const statuses = (page: Page) => page.getByTestId('trial-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[7].textContent));
const names = (page: Page) => page.getByTestId('trial-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent));

/** The worker whose tfjs engine holds the WebGPU backend (tfjs keeps its engine on the global scope). */
async function trainerWorker(page: Page): Promise<Worker> {
  for (const w of page.workers()) {
    if (await w.evaluate(() => !!(self as unknown as { _tfengine?: { registry?: { webgpu?: unknown } } })._tfengine?.registry?.webgpu)) return w;
  }
  throw new Error('no worker holds a WebGPU backend');
}

test('the WebGPU device destroyed mid-trial: the run pauses with the reason, Resume re-creates the backend and finishes', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await setUp(page, 'webgpu');
  await page.getByTestId('start-run').click();
  // Mid-trial, after a checkpoint (one every step here): destroy the device under the running trial.
  await expect(page.getByTestId('run-progress')).toHaveAttribute('data-step', /^[2-9]/, { timeout: 120_000 });
  const worker = await trainerWorker(page);
  await worker.evaluate(() => (self as unknown as { _tfengine: { registry: { webgpu: { device: { destroy(): void } } } } })._tfengine.registry.webgpu.device.destroy());
  await expect(page.getByTestId('run-status')).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('run-error')).toHaveAttribute('data-fault', 'device-lost');
  await expect(page.getByTestId('run-error')).toContainText('the GPU device was lost');
  await expect(page.getByTestId('run-error')).toContainText('Resume re-creates the GPU backend');
  // The trial was not recorded as failed: it waits at its checkpoint.
  expect(await statuses(page)).toEqual(['paused']);
  await page.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 240_000 });
  const done = await names(page);
  expect(done).toHaveLength(2);
  expect(new Set(done).size).toBe(2);
  expect(await statuses(page)).toEqual(['done', 'done']);
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('two tabs: the second sees the run as running in another tab and cannot resume it; closing the first frees it', async ({ page, context }) => {
  await setUp(page, 'wasm');
  await page.getByTestId('max-evals').fill('6');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('current-trial')).toBeVisible({ timeout: 60_000 });
  const second = await context.newPage();
  await second.goto('/');
  await expect(second.getByTestId('run-status')).toHaveText('running in another tab');
  await expect(second.getByTestId('run-elsewhere')).toBeVisible();
  await expect(second.getByTestId('run-resume')).toHaveCount(0);
  await expect(second.getByTestId('run-pause')).toHaveCount(0);
  // Nor can it delete the run under the other tab's worker.
  await second.getByTestId('tab-history').click();
  await second.getByTestId('history-delete').click();
  await expect(second.getByTestId('history-message')).toContainText('running in another tab');
  await expect(second.getByTestId('history-runs').locator('tbody tr')).toHaveCount(1);
  await second.getByTestId('tab-run').click();
  // The first tab goes on training undisturbed.
  await expect(page.getByTestId('run-status')).toHaveText('running');
  // The browser releases a closed tab's lock: the second tab now offers to resume the interrupted run.
  await page.close();
  await expect(second.getByTestId('run-status')).toHaveText('interrupted', { timeout: 30_000 });
  await expect(second.getByTestId('run-resume')).toBeVisible();
});

test('storage full mid-run: a banner names the quota, the run pauses (nothing done), and after freeing space Resume completes', async ({ page, context }) => {
  await setUp(page, 'wasm');
  await page.getByTestId('max-evals').fill('3');
  // Trials long enough that the quota changes while the second one trains.
  await page.getByTestId('epochs').fill('10');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('trial-table').locator('tbody tr').first()).toContainText('done', { timeout: 120_000 });
  // The origin's quota shrinks to nothing (Chromium DevTools protocol): every write fails from now on, even
  // the run's own status, which the page then takes from the worker.
  const cdp = await context.newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  await expect(page.getByTestId('run-status')).toHaveText('paused', { timeout: 120_000 });
  await expect(page.getByTestId('run-error')).toHaveAttribute('data-fault', 'storage');
  await expect(page.getByTestId('run-error')).toContainText('QuotaExceededError');
  await expect(page.getByTestId('run-free-space')).toBeVisible();
  const statuses = await page.getByTestId('trial-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[7].textContent));
  expect(statuses).not.toContain('failed');
  // Space freed: the quota is back, Resume finishes the run.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.getByTestId('run-resume').click();
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 240_000 });
  const names = await page.getByTestId('trial-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent));
  expect(new Set(names).size).toBe(names.length);
});
