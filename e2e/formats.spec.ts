// Files the app never saw, as a new user brings them: the Financial PhraseBank layout (sentence@label, BOM,
// CRLF, no header), a header-less CSV, a Windows-1252 file, a "label" column that is not one, repeated
// texts and a typo class. Each is generated here from made-up financial sentences.
import { expect, test, type Page } from '@playwright/test';
import { shotPath } from './screenshots';

const COMPANIES = ['Aurora Oyj', 'Baltic Steel', 'Cobalt Foods', 'Delta Paper', 'Elm Logistics', 'Fjord Bank', 'Granite Tech', 'Harbor Energy', 'Iris Pharma', 'Juniper Retail', 'Kestrel Air', 'Lumen Media'];

/** 36 distinct sentences in PhraseBank style (tokenised, commas inside), 12 per class. */
function financialSentences(): [string, string][] {
  const out: [string, string][] = [];
  COMPANIES.forEach((c, i) => {
    out.push([`${c} said net sales rose ${5 + i} % to EUR ${(20 + i * 1.5).toFixed(1)} mn , beating forecasts .`, 'positive']);
    out.push([`Operating profit at ${c} fell to EUR ${(3 + i * 0.2).toFixed(1)} mn from EUR ${(6 + i * 0.3).toFixed(1)} mn , the group said .`, 'negative']);
    out.push([`${c} is headquartered in city number ${i + 1} and has ${100 + 25 * i} employees .`, 'neutral']);
  });
  // An address in the text: the label is what follows the LAST @.
  out[2] = ['Questions about Aurora Oyj go to ir@aurora.example , the company said .', 'neutral'];
  return out;
}

const BOM = [0xef, 0xbb, 0xbf];
const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];

async function upload(page: Page, name: string, bytes: number[] | Buffer, mimeType = 'text/plain') {
  await page.getByTestId('data-file-input').setInputFiles({ name, mimeType, buffer: Buffer.from(bytes) });
}

async function labelCounts(page: Page): Promise<[string, number][]> {
  const rows = page.getByTestId('label-counts').locator('tbody tr');
  return rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-label') ?? '', Number(tr.getAttribute('data-count'))] as [string, number]));
}

test.beforeEach(async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { __errors: string[] }).__errors = errors;
  await page.goto('/');
});

test.afterEach(async ({ page }) => {
  expect((page as unknown as { __errors: string[] }).__errors).toEqual([]);
});

test('Financial PhraseBank layout (sentence@label, BOM, CRLF, no header) is read as text + label with 3 classes', async ({ page }) => {
  const rows = financialSentences();
  const text = rows.map(([s, l]) => `${s}@${l}`).join('\r\n') + '\r\n';
  await upload(page, 'Sentences_AllAgree.txt', [...BOM, ...utf8(text)]);
  await expect(page.getByTestId('read-as')).toHaveText('@-separated (label after the last @), no header, UTF-8 with BOM, CRLF line ends');
  await expect(page.getByTestId('row-count')).toHaveText(String(rows.length));
  await expect(page.getByTestId('first-row-data')).toBeChecked();
  await expect(page.getByTestId('header-question')).toHaveCount(0);
  await expect(page.getByTestId('map-text')).toHaveValue('column 1');
  await expect(page.getByTestId('map-label')).toHaveValue('column 2');
  await expect(page.getByTestId('task-kind')).toHaveText('label');
  await expect(page.getByTestId('no-problems')).toBeVisible();
  expect(await labelCounts(page)).toEqual([
    ['negative', 12],
    ['neutral', 12],
    ['positive', 12],
  ]);
  // Line 1 is a row, and the e-mail address stays in the text.
  await expect(page.locator('[data-testid="preview-table"] tr[data-line="1"]')).toContainText('beating forecasts');
  await expect(page.locator('[data-testid="preview-table"] tr[data-line="3"]')).toContainText('ir@aurora.example');
  await expect(page.getByTestId('duplicates')).toHaveCount(0);
  await expect(page.getByTestId('rare-classes')).toHaveCount(0);
  await page.getByTestId('read-as-card').screenshot({ path: shotPath('data-read-as.png') });
  await page.getByTestId('use-dataset').click();
  const ready = page.getByTestId('dataset-ready');
  await expect(ready).toHaveAttribute('data-rows', String(rows.length));
  await expect(ready).toHaveAttribute('data-task', 'label');
  await expect(ready).toContainText('classes: negative, neutral, positive');
});

test('a header-less comma file keeps every row; the header toggle re-reads it', async ({ page }) => {
  const rows = financialSentences().slice(0, 20).map(([s], i) => `"${s}",${((i % 9) / 10 - 0.4).toFixed(2)}`);
  await upload(page, 'no-header.csv', utf8(rows.join('\n') + '\n'), 'text/csv');
  await expect(page.getByTestId('read-as')).toHaveText('comma-separated, no header, UTF-8, LF line ends');
  await expect(page.getByTestId('row-count')).toHaveText('20');
  await expect(page.getByTestId('map-text')).toHaveValue('column 1');
  await expect(page.getByTestId('map-score')).toHaveValue('column 2');
  await expect(page.getByTestId('task-kind')).toHaveText('score');
  await expect(page.getByTestId('no-problems')).toBeVisible();
  await expect(page.locator('[data-testid="preview-table"] tr[data-line="1"]')).toBeVisible();
  // The user says the first row is the header after all: 19 rows, named by row 1; and back.
  await page.getByTestId('first-row-data').uncheck();
  await expect(page.getByTestId('row-count')).toHaveText('19');
  await expect(page.getByTestId('read-as')).toHaveAttribute('data-header', 'yes');
  await page.getByTestId('first-row-data').check();
  await expect(page.getByTestId('row-count')).toHaveText('20');
  await expect(page.getByTestId('split-counts')).toHaveAttribute('data-val', '2');
});

test('a Windows-1252 file: not valid UTF-8 is said, and "Read as Windows-1252" reads € and é', async ({ page }) => {
  // Windows-1252: € = 0x80, é = 0xE9, – = 0x96, ü = 0xFC.
  const w = (s: string) => [...s].map((ch) => ({ '€': 0x80, é: 0xe9, '–': 0x96, ü: 0xfc })[ch] ?? ch.charCodeAt(0));
  const lines = ['text;score', 'Umsatz stieg um 5 € – Café Müller;0,6', 'Le chiffre d\'affaires a baissé de 2 €;-0,3', 'Plain ASCII line;0,1'];
  await upload(page, 'excel-export.csv', w(lines.join('\r\n') + '\r\n'), 'text/csv');
  const warning = page.getByTestId('encoding-warning');
  await expect(warning).toContainText('2 lines of this file hold bytes that are not valid UTF-8');
  await expect(page.locator('[data-testid="problem"][data-kind="invalid-utf8"]')).toHaveCount(2);
  await expect(page.locator('[data-testid="problem"][data-line="2"]')).toContainText('read it as Windows-1252');
  await page.getByTestId('read-as-1252').click();
  await expect(page.getByTestId('read-as')).toHaveText('semicolon-separated, first row is the header, Windows-1252, CRLF line ends');
  await expect(page.getByTestId('read-encoding')).toHaveValue('windows-1252');
  await expect(page.getByTestId('encoding-warning')).toHaveCount(0);
  await expect(page.getByTestId('no-problems')).toBeVisible();
  await expect(page.getByTestId('row-count')).toHaveText('3');
  await expect(page.locator('[data-testid="preview-table"] tr[data-line="2"]')).toContainText('Umsatz stieg um 5 € – Café Müller');
  await expect(page.locator('[data-testid="preview-table"] tr[data-line="3"]')).toContainText('a baissé de 2 €');
  await expect(page.getByTestId('decimal-comma')).toBeVisible();
});

test('a "label" column with 700 classes blocks the dataset with the reason', async ({ page }) => {
  const lines = ['text,label', ...Array.from({ length: 700 }, (_, i) => `Sales rose ${i} % in the quarter,fragment ${i} of a sentence`)];
  await upload(page, 'misread.csv', utf8(lines.join('\n') + '\n'), 'text/csv');
  const msg = '700 distinct labels in 700 rows of "label": this does not look like a label column — check the delimiter (the file was read as comma-separated) or choose another label column.';
  await expect(page.getByTestId('data-blocker')).toHaveText(msg);
  await expect(page.getByTestId('no-problems')).toHaveCount(0);
  await expect(page.getByTestId('rare-classes')).toHaveCount(0);
  await expect(page.getByTestId('use-dataset')).toBeDisabled();
  await expect(page.getByTestId('not-ready')).toHaveText(msg);
});

test('repeated texts are reported and can be removed, keeping the first of each', async ({ page }) => {
  const base = financialSentences().slice(0, 10);
  const lines = ['sentence,label'];
  for (let k = 0; k < 30; k++) for (const [s, l] of base) lines.push(`"${s}",${l}`);
  await upload(page, 'repeats.csv', utf8(lines.join('\n') + '\n'), 'text/csv');
  await expect(page.getByTestId('row-count')).toHaveText('300');
  const dups = page.getByTestId('duplicates');
  await expect(dups).toHaveAttribute('data-repeats', '290');
  await expect(page.getByTestId('duplicates-message')).toContainText(`290 rows repeat another row's text; 10 distinct texts ("${base[0][0].slice(0, 59)}…" appears 30 times)`);
  await page.getByTestId('dedupe').check();
  await expect(page.getByTestId('row-count')).toHaveText('10');
  await expect(page.getByTestId('data-summary')).toContainText('(290 dropped)');
  await expect(page.getByTestId('dedupe')).toBeChecked();
  await page.getByTestId('dedupe').uncheck();
  await expect(page.getByTestId('row-count')).toHaveText('300');
});

test('a label seen once is listed as a likely typo and can be merged into the suggested class', async ({ page }) => {
  const rows = financialSentences();
  const text = [...rows.map(([s, l]) => `${s}@${l}`), 'Kestrel Air doubled its order book , the company said .@postive'].join('\r\n') + '\r\n';
  await upload(page, 'Sentences_typo.txt', [...BOM, ...utf8(text)]);
  const rare = page.locator('[data-testid="rare-class"][data-label="postive"]');
  await expect(rare).toHaveAttribute('data-suggestion', 'positive');
  await expect(rare.getByTestId('rare-message')).toHaveText('postive (1 row) looks like a typo of positive.');
  expect((await labelCounts(page)).map(([l]) => l)).toEqual(['negative', 'neutral', 'positive', 'postive']);
  await rare.getByTestId('rare-fix').selectOption('merge:positive');
  await expect(page.getByTestId('rare-applied')).toHaveText('1 row merged.');
  await page.getByTestId('problems-card').screenshot({ path: shotPath('data-checks.png') });
  await expect.poll(() => labelCounts(page)).toEqual([
    ['negative', 12],
    ['neutral', 12],
    ['positive', 13],
  ]);
  await rare.getByTestId('rare-fix').selectOption('drop');
  await expect(page.getByTestId('row-count')).toHaveText(String(rows.length));
  await expect(page.getByTestId('rare-applied')).toHaveText('1 row dropped.');
});

test('importing valid JSON of the wrong kind says which file was expected (and the input stays usable)', async ({ page }) => {
  await page.getByTestId('tab-history').click();
  const trials = JSON.stringify([{ config: 'r4-8', ranks: [4, 8], params: 12288, metrics: { mse: 0.1 }, status: 'done', timeMs: 10, epochs: 1 }], null, 2);
  const input = page.getByTestId('import-results-input');
  await input.setInputFiles({ name: 'trials.json', mimeType: 'application/json', buffer: Buffer.from(trials) });
  const error = page.getByTestId('import-error');
  await expect(error).toContainText('trials.json: This is a list of 1 trial (the "Trials JSON" export)');
  await expect(error).toContainText('"format": "rank-lab-run"');
  await expect(error).not.toContainText('line 1 is not valid JSON');
  // The input was cleared after the await (no "Cannot set properties of null"), so the same file can be picked again.
  expect(await input.inputValue()).toBe('');
});
