import { expect, test } from '@playwright/test';
import { switchBackend } from './setup';

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

test('without WebGPU the user can pick the WebAssembly backend and training still works', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-message')).toContainText('WebGPU is not available');
  await switchBackend(page, 'wasm');
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  await page.getByTestId('smoke-run').click();
  const result = page.getByTestId('smoke-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  expect(await result.getAttribute('data-backend')).toBe('wasm');
  expect(Number(await result.getAttribute('data-last'))).toBeLessThan(Number(await result.getAttribute('data-first')));
});
