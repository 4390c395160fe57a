import { expect, test } from '@playwright/test';

// Runs in the `no-webgpu` project: Chromium launched with WebGPU disabled.
test('without WebGPU the page explains the fallback instead of failing', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const name = page.getByTestId('backend-name');
  await expect(name).not.toHaveText('webgpu');
  await expect(name).toHaveText(/webgl|wasm|cpu/);
  const msg = page.getByTestId('backend-message');
  await expect(msg).toContainText('WebGPU is not available');
  await expect(msg).toContainText('falls back to');
  expect(errors).toEqual([]);
});
