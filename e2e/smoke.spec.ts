import { expect, test } from '@playwright/test';
import { shotPath } from './screenshots';

test('smoke training on webgpu: loss falls and live tensors stay flat', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await page.getByTestId('tab-model').click();
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  await page.getByTestId('smoke-run').click();
  const result = page.getByTestId('smoke-result');
  await expect(result).toBeVisible({ timeout: 240_000 });
  expect(await result.getAttribute('data-backend')).toBe('webgpu');
  expect(await result.getAttribute('data-status')).toBe('completed');
  const first = Number(await result.getAttribute('data-first'));
  const last = Number(await result.getAttribute('data-last'));
  console.log(`webgpu smoke: MSE ${first} -> ${last}`);
  expect(last).toBeLessThan(first);
  const rows = page.getByTestId('smoke-steps').locator('tbody tr');
  await expect(rows).toHaveCount(10);
  const t2 = await rows.nth(1).getAttribute('data-tensors');
  const t10 = await rows.nth(9).getAttribute('data-tensors');
  expect(t10).toBe(t2);
  await page.screenshot({ path: shotPath('system-check.png'), fullPage: true });
});
