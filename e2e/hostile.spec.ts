// Hostile files on the Data page, in the built app: a 10,000-column file does not freeze the page, a
// runaway header line is cut, and a UTF-16 file read as UTF-8 says UTF-16 and offers to read it so.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect, test } from '@playwright/test';
import { longTasks, watchLongTasks } from './longTasks';

const dir = mkdtempSync(join(tmpdir(), 'ranklab-hostile-'));

test('10,000 columns: the preview draws 50 of them, and no main-thread task is long', async ({ page }) => {
  const cols = 10_000;
  const header = ['text', 'score', ...Array.from({ length: cols - 2 }, (_, i) => `c${i}`)].join(',');
  const rows = Array.from({ length: 30 }, (_, r) => [`row ${r} text`, '0.5', ...Array.from({ length: cols - 2 }, () => '1')].join(','));
  const file = join(dir, 'wide.csv');
  writeFileSync(file, [header, ...rows].join('\n') + '\n');
  await watchLongTasks(page);
  await page.goto('/');
  await expect(page.getByTestId('backend-name')).not.toHaveText('…');
  const before = (await longTasks(page)).length;
  await page.getByTestId('data-file-input').setInputFiles(file);
  await expect(page.getByTestId('preview-note')).toContainText('the first 50 of its 10,000 columns');
  await expect(page.getByTestId('preview-table').locator('thead th')).toHaveCount(51);
  const tasks = (await longTasks(page)).slice(before);
  const longest = tasks.length ? Math.max(...tasks) : 0;
  console.log(`10,000 columns: ${tasks.length} long tasks on the main thread, longest ${longest.toFixed(0)} ms`);
  expect(longest).toBeLessThan(500);
});

test('a UTF-16 file read as UTF-8 says UTF-16, and "Read as UTF-16" reads it', async ({ page }) => {
  const text = 'text,score\n' + Array.from({ length: 12 }, (_, i) => `Café row ${i} été,0.${i % 9}`).join('\n') + '\n';
  const file = join(dir, 'utf16.csv');
  writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  await page.goto('/');
  await page.getByTestId('data-file-input').setInputFiles(file);
  await expect(page.getByTestId('row-count')).toHaveText('12');
  await page.getByTestId('read-encoding').selectOption('utf-8');
  await expect(page.getByTestId('encoding-warning')).toContainText('This file is UTF-16 (little-endian), not UTF-8');
  await expect(page.getByTestId('problem').first()).toContainText('This file is UTF-16 LE (it starts with a UTF-16 byte-order mark), not UTF-8: choose UTF-16 LE under Encoding');
  await page.getByTestId('read-as-utf16').click();
  await expect(page.getByTestId('row-count')).toHaveText('12');
  await expect(page.locator('[data-testid="preview-table"] tr[data-line="2"]')).toContainText('Café row 0 été');
});
