import { expect, test } from '@playwright/test';

test('the training worker gets a real WebGPU backend', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await expect(page.getByTestId('backend-message')).toContainText('WebGPU');
  // Headless Chromium's WebGPU adapter is SwiftShader: the banner says it is a software fallback, not a GPU.
  await expect(page.getByTestId('backend-message')).toContainText('WebGPU runs on a software fallback (SwiftShader) on the CPU');
  await expect(page.getByTestId('backend-message')).not.toContainText('runs on your GPU');
});
