// Set-up steps that several specs share: a sample of the demo CSV, the backend picker, and using a file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';

/** The header and first `n` rows of the demo CSV, written to a fresh temporary file; returns its path. */
export function demoSample(n: number): string {
  const lines = readFileSync(new URL('../public/data/semeval2017-task5-microblogs.csv', import.meta.url), 'utf8').split('\n');
  const file = join(mkdtempSync(join(tmpdir(), 'ranklab-e2e-')), `microblogs-${n}.csv`);
  writeFileSync(file, lines.slice(0, n + 1).join('\n') + '\n');
  return file;
}

/** Pick a backend on the Model page and wait until the worker runs on it. */
export async function switchBackend(page: Page, backend: 'wasm' | 'webgpu' | 'webgl' | 'cpu'): Promise<void> {
  await page.getByTestId('tab-model').click();
  await page.getByTestId('backend-choice').selectOption(backend);
  await page.getByTestId('backend-switch').click();
  await expect(page.getByTestId('backend-name')).toHaveText(backend);
}

/** Upload `file` on the Data page, optionally check what it shows, and use it as the dataset. */
export async function useDataset(page: Page, file: string, check?: () => Promise<void>): Promise<void> {
  await page.getByTestId('tab-data').click();
  await page.getByTestId('data-file-input').setInputFiles(file);
  if (check) await check();
  await page.getByTestId('use-dataset').click();
  await expect(page.getByTestId('dataset-ready')).toBeVisible();
}
