import { expect, test } from '@playwright/test';

test('the training worker gets a real WebGPU backend', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await expect(page.getByTestId('backend-message')).toContainText('WebGPU');
});
