import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

// The hub path in the browser: requests to huggingface.co are answered by Playwright from the embedded model's
// files, in the hub's URL layout (/{id}/resolve/{revision}/{file}); nothing leaves the machine.
const dir = new URL('../public/models/tiny-roberta/', import.meta.url);

test('a Hugging Face model id downloads, is cached, and loads offline the second time', async ({ page, context }) => {
  const hits: string[] = [];
  await context.route('https://huggingface.co/**', async (route) => {
    const url = new URL(route.request().url());
    hits.push(url.pathname);
    const m = url.pathname.match(/^\/FacebookAI\/roberta-tiny-test\/resolve\/main\/([\w.]+)$/);
    if (!m) return route.fulfill({ status: 404, body: 'Entry not found', headers: { 'x-error-code': 'EntryNotFound' } });
    try {
      const body = readFileSync(new URL(m[1], dir));
      return route.fulfill({ status: 200, body, headers: { 'content-length': String(body.length), 'access-control-allow-origin': '*' } });
    } catch {
      return route.fulfill({ status: 404, body: 'Entry not found', headers: { 'x-error-code': 'EntryNotFound', 'access-control-allow-origin': '*' } });
    }
  });
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).toHaveText('webgpu');
  await page.getByTestId('tab-model').click();
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');

  // A wrong id: a clear message, nothing loaded in its place.
  await page.getByTestId('model-kind-hub').check();
  await page.getByTestId('hub-id').fill('FacebookAI/no-such-model');
  await page.getByTestId('model-load').click();
  await expect(page.getByTestId('model-error')).toContainText('no-such-model');

  await page.getByTestId('hub-id').fill('FacebookAI/roberta-tiny-test');
  await expect(page.getByTestId('hub-cache-status')).toContainText('nothing yet');
  await page.getByTestId('model-load').click();
  await expect(page.getByTestId('model-id')).toHaveText('FacebookAI/roberta-tiny-test');
  const downloaded = hits.filter((h) => h.startsWith('/FacebookAI/roberta-tiny-test/')).length;
  expect(downloaded).toBeGreaterThanOrEqual(3);

  // A new page: the files come from this browser's cache, with no request at all.
  await page.reload();
  await page.getByTestId('tab-model').click();
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  await page.getByTestId('model-kind-hub').check();
  await page.getByTestId('hub-id').fill('FacebookAI/roberta-tiny-test');
  await expect(page.getByTestId('hub-cache-status')).toContainText('all files');
  const before = hits.length;
  await page.getByTestId('model-load').click();
  await expect(page.getByTestId('model-id')).toHaveText('FacebookAI/roberta-tiny-test');
  await expect(page.getByTestId('model-info')).toContainText('cached');
  expect(hits.length).toBe(before);
});
