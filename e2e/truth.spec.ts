// One split, one place, and pages that show the stored state: the Data page's split (with a test part) is
// what the run trains on, the test rows are scored after the search, time is estimated before Start and
// during trial 1, and cancel / delete / reload / import leave no page showing something that is not so.
// Training runs on the wasm backend (faster than SwiftShader's WebGPU) with the smallest settings.
import { expect, test, type Page } from '@playwright/test';
import { demoSample, switchBackend, useDataset } from './setup';

test.beforeEach(async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { __errors: string[] }).__errors = errors;
  // Whatever the Run page's ETA and progress showed, as it changed (a trial may be shorter than a poll).
  await page.addInitScript(() => {
    const w = window as unknown as { __seen: { eta: Record<string, string>[]; steps: number[] } };
    w.__seen = { eta: [], steps: [] };
    new MutationObserver(() => {
      const eta = document.querySelector('[data-testid="run-eta"]') as HTMLElement | null;
      if (eta) w.__seen.eta.push({ ...eta.dataset } as Record<string, string>);
      const p = document.querySelector('[data-testid="run-progress"]') as HTMLElement | null;
      if (p) w.__seen.steps.push(Number(p.dataset.totalSteps));
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  await page.goto('/');
});

test.afterEach(async ({ page }) => {
  expect((page as unknown as { __errors: string[] }).__errors).toEqual([]);
});

const seen = (page: Page) => page.evaluate(() => (window as unknown as { __seen: { eta: Record<string, string>[]; steps: number[] } }).__seen);

/** Switch to wasm, upload, (optionally) set the test share, use the dataset, open the Search page. */
async function setUp(page: Page, file: string, testPct?: number) {
  await switchBackend(page, 'wasm');
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  let split = { train: 0, val: 0, test: 0 };
  await useDataset(page, file, async () => {
    await expect(page.getByTestId('split-counts')).toBeVisible();
    if (testPct !== undefined) {
      await page.getByTestId('split-test').fill(String(testPct));
      await page.getByTestId('split-test').dispatchEvent('change');
      await expect(page.getByTestId('split-counts')).toHaveAttribute('data-test', /[1-9]/);
    }
    const counts = page.getByTestId('split-counts');
    split = { train: Number(await counts.getAttribute('data-train')), val: Number(await counts.getAttribute('data-val')), test: Number(await counts.getAttribute('data-test')) };
  });
  await page.getByTestId('tab-search').click();
  return split;
}

async function idbCount(page: Page, store: string): Promise<number> {
  return page.evaluate(
    (s) =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('rank-lab');
        req.onsuccess = () => {
          const c = req.result.transaction(s).objectStore(s).count();
          c.onsuccess = () => {
            resolve(c.result);
            req.result.close();
          };
          c.onerror = () => reject(c.error);
        };
        req.onerror = () => reject(req.error);
      }),
    store,
  );
}

test('the Data page split (Test 20 %) is what the run trains on; test metrics of best and uniform; estimate and trial-1 ETA', async ({ page }) => {
  const split = await setUp(page, demoSample(100), 20);
  expect(split).toEqual({ train: 70, val: 10, test: 20 });
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('quota')).toBeVisible();
  const usageBefore = Number(await page.getByTestId('quota').getAttribute('data-usage'));
  await page.getByTestId('tab-search').click();

  // The Search page shows the dataset's split and max length read-only, with the way back to change them.
  const shown = page.getByTestId('setup-split');
  await expect(shown).toHaveAttribute('data-train', '70');
  await expect(shown).toHaveAttribute('data-test', '20');
  await expect(shown).toHaveAttribute('data-max-length', '512');
  await expect(page.getByTestId('setup-truncation')).toHaveText(/no row is cut at 512 tokens|% of rows \(\d+\) cut at 512 tokens/);
  await expect(page.getByTestId('setup-change-split')).toBeVisible();
  await expect(page.locator('[data-testid="setup"] [data-testid="max-length"]')).toHaveCount(0);

  // Before Start: an estimate measured on this backend, shown with the preset.
  await page.getByTestId('preset-quick').click();
  await page.getByTestId('max-evals').fill('2');
  await expect(page.getByTestId('estimate')).toHaveAttribute('data-total-ms', /^\d+$/, { timeout: 120_000 });
  const totalMs = Number(await page.getByTestId('estimate').getAttribute('data-total-ms'));
  expect(Number.isFinite(totalMs) && totalMs > 0).toBe(true);
  await expect(page.getByTestId('estimate')).toContainText('for 2 trials');

  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 280_000 });

  // Every trial trained ceil(70 / 16) = 5 steps: the Data page's train count, not 100 − 10 %.
  const s = await seen(page);
  expect(s.steps.length).toBeGreaterThan(0);
  expect([...new Set(s.steps)]).toEqual([Math.ceil(split.train / 16)]);
  // Trial 1 (no trial finished yet: 2 trials left) had a finite ETA from its own steps.
  const first = s.eta.find((e) => e.trialsLeft === '2');
  expect(first, `ETA records: ${JSON.stringify(s.eta.slice(0, 5))}`).toBeDefined();
  expect(Number(first!.perTrialMs)).toBeGreaterThan(0);
  expect(Number.isFinite(Number(first!.atMostMs))).toBe(true);

  // Results: validation chose the best; the test table scores the best and the uniform configuration.
  await page.getByTestId('tab-results').click();
  const testTable = page.getByTestId('results-test');
  await expect(testTable).toHaveAttribute('data-rows', '20');
  const best = (await page.getByTestId('results-best').textContent())!;
  await expect(page.getByTestId('results-test-best')).toHaveAttribute('data-config', best);
  await expect(page.getByTestId('results-test-uniform')).toHaveAttribute('data-config', /^(\d+)(@\1)*$/);
  for (const row of ['results-test-best', 'results-test-uniform', 'results-test-trivial']) {
    const mse = Number(await page.getByTestId(row).locator('[data-metric="mse"]').textContent());
    expect(Number.isFinite(mse) && mse > 0).toBe(true);
  }

  // The storage figure followed the writes of the run.
  await page.getByTestId('tab-history').click();
  await expect.poll(async () => Number(await page.getByTestId('quota').getAttribute('data-usage'))).toBeGreaterThan(usageBefore);

  // A run file exported here imports back on History without a page error (afterEach checks).
  await page.getByTestId('tab-results').click();
  const [runFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-run').click()]);
  await page.getByTestId('tab-history').click();
  await page.getByTestId('import-results-input').setInputFiles((await runFile.path())!);
  await expect(page.getByTestId('shared-banner')).toContainText('Imported view');
  await expect(page.getByTestId('results-test-best')).toHaveAttribute('data-config', best);
});

test('cancel: the Run page shows cancelled, nothing training, results only if a trial finished; the f1 chart says f1', async ({ page }) => {
  await setUp(page, new URL('../tests/fixtures/data/label-only.csv', import.meta.url).pathname);
  await page.getByTestId('preset-quick').click();
  await expect(page.getByTestId('metric')).toHaveValue('f1');
  // Long enough trials (12 rows train in milliseconds on wasm) that the cancel lands mid-trial.
  await page.getByTestId('epochs').fill('300');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('current-trial')).toBeVisible({ timeout: 60_000 });
  // A label-only run: the validation chart's axis is the run's metric, not the default "mse".
  await expect(page.getByTestId('metric-chart')).toHaveAttribute('data-y-title', 'f1');
  await page.getByTestId('run-cancel').click();
  await expect(page.getByTestId('run-status')).toHaveText('cancelled');
  await expect(page.getByTestId('current-trial')).toHaveCount(0);
  await expect(page.getByTestId('run-pause')).toHaveCount(0);
  const statuses = await page.getByTestId('trial-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.children[7].textContent));
  expect(statuses).not.toContain('running');
  const anyDone = statuses.includes('done');
  await expect(page.getByTestId('run-show-results')).toHaveCount(anyDone ? 1 : 0);
  if (!anyDone) await expect(page.getByTestId('run-no-results')).toBeVisible();

  // After a reload the stored state is the same: cancelled, not offered for resumption.
  await page.reload();
  await expect(page.getByTestId('backend-name')).not.toHaveText('…');
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('history-runs').locator('tbody tr').first()).toContainText('cancelled');
  await page.getByTestId('tab-run').click();
  await expect(page.getByTestId('run-status')).toHaveCount(0);
});

test('deleting a running run stops it first, and every page forgets it', async ({ page }) => {
  await setUp(page, new URL('../tests/fixtures/data/label-only.csv', import.meta.url).pathname);
  await page.getByTestId('preset-quick').click();
  await page.getByTestId('epochs').fill('300');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('current-trial')).toBeVisible({ timeout: 60_000 });
  page.on('dialog', (d) => void d.accept());
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('history-runs').locator('tbody tr')).toHaveCount(1);
  await page.getByTestId('history-delete').click();
  await expect(page.getByTestId('history-card')).toContainText('No runs yet.');
  // Stopped: nothing writes trials or checkpoints of the deleted run afterwards.
  await page.waitForTimeout(1500);
  expect(await idbCount(page, 'trials')).toBe(0);
  expect(await idbCount(page, 'checkpoints')).toBe(0);
  expect(await idbCount(page, 'runs')).toBe(0);
  await page.getByTestId('tab-run').click();
  await expect(page.getByTestId('run-card')).toContainText('No run yet');
  await page.getByTestId('tab-results').click();
  await expect(page.getByText('No results yet.')).toBeVisible();
  await page.getByTestId('tab-playground').click();
  await expect(page.getByTestId('playground-card')).toContainText('Finish a run first');
  // The worker is idle again: a new search starts (a run still training would refuse it).
  await page.getByTestId('tab-search').click();
  await expect(page.getByTestId('start-run')).toBeEnabled();
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('current-trial')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await page.getByTestId('run-cancel').click();
  await expect(page.getByTestId('run-status')).toHaveText('cancelled');
});
