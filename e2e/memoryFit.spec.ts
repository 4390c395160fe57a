import { expect, test } from '@playwright/test';

// The Model and Search pages estimate a training step's GPU memory (memory model) and check it against the
// user's memory cap: a setting that does not fit gets a message naming the batch and max length that would,
// the cap survives a reload, bad input is explained, and a preset lowers its batch to fit.
test('a training step over the memory cap is named, with the batch and max length to lower', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('tab-model').click();
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  // The Search page has the same panel: look at the Model page's.
  const model = page.getByTestId('model-card');
  await expect(model.getByTestId('memory-estimate')).toHaveText(/^about \d+\.\d MiB$/);
  await expect(model.getByTestId('memory-fit-ok')).toBeVisible();

  // The default Quick look step (batch 16 × 48) on the tiny model needs more than 0.05 GiB.
  await model.getByTestId('memory-cap').fill('0.05');
  const problem = model.getByTestId('memory-fit-problem').first();
  await expect(problem).toHaveText(/^A training step at batch 16 × 48 tokens needs about \d+\.\d MiB .* above your memory cap of 51\.2 MiB\. To fit, lower the batch to \d+( or lower the max length to \d+ \(Data page\))?\.$/);

  await model.getByTestId('memory-cap').fill('lots');
  await expect(model.getByTestId('memory-cap-error')).toHaveText('"lots" is not a number: type the GPU memory in GiB, e.g. 8, or leave it empty for no cap.');

  // Kept across a reload, like the browser's other state.
  await model.getByTestId('memory-cap').fill('0.1');
  await page.reload();
  await page.getByTestId('tab-model').click();
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  await expect(model.getByTestId('memory-cap')).toHaveValue('0.1');

  // Browser default (batch 16 × 128) does not fit 0.1 GiB on the tiny model: the preset comes with a smaller batch.
  await page.getByTestId('tab-search').click();
  await page.getByTestId('preset-browser').click();
  await expect(page.getByTestId('preset-fit-note')).toHaveText(/^Batch lowered from 16 to \d+ so that a training step at 128 tokens fits your 102\.4 MiB memory cap\.$/);
  const batch = Number(await page.getByTestId('batch').inputValue());
  expect(batch).toBeGreaterThan(0);
  expect(batch).toBeLessThan(16);
  await expect(page.getByTestId('setup').getByTestId('memory-fit-ok')).toBeVisible();
});
