import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTable, detectDelimiter } from './parse';
import { buildDataset, dropRows, assertReady, problemLines, parseScore } from './validate';
import { detectMapping, detectTaskKind, checkMapping } from './columns';
import { loadDataset } from './dataset';
import { decodeUtf8 } from './text';
import { formatProblem, type Dataset } from './types';

const FIX = join(__dirname, '../../../tests/fixtures/data');
const fixture = (name: string) => new Blob([readFileSync(join(FIX, name))]);
const summary = (ds: Pick<Dataset, 'problems'>) => ds.problems.map((p) => [p.line, p.kind]);

const BAD_ROWS_EXPECTED: [number, string][] = JSON.parse(readFileSync(join(FIX, 'bad-rows.expected.json'), 'utf8')).problems;

describe('bad-rows.csv', () => {
  const opts = { labels: ['positive', 'negative', 'neutral'] };

  it('lists every bad row with its file line number and reason', async () => {
    const { dataset, detected } = await loadDataset(fixture('bad-rows.csv'), opts);
    expect(detected).toEqual({ text: 'text', score: 'score', label: 'label' });
    expect(summary(dataset!)).toEqual(BAD_ROWS_EXPECTED);
    const msg = (line: number) => dataset!.problems.find((p) => p.line === line)!.message;
    expect(msg(6)).toBe('The score "abc" is not a number.');
    expect(msg(7)).toBe('The score 1.7 is outside the declared range [-1, 1].');
    expect(msg(8)).toMatch(/4 fields but the header has 3/);
    expect(msg(9)).toMatch(/2 fields but the header has 3/);
    expect(msg(11)).toMatch(/"meh" is not one of the declared labels/);
    expect(msg(12)).toMatch(/quote inside a quoted field must be doubled/);
    expect(msg(20)).toMatch(/never closed \(everything up to line 21 was read as one field\)/);
    expect(formatProblem(dataset!.problems[0])).toBe('Line 5: The text ("text") is empty.');
    // Multi-line quoted fields count their lines; nothing was dropped or altered.
    expect(dataset!.rows.map((r) => r.line)).toEqual([2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 17, 18, 19, 20]);
    expect(dataset!.rows[1].text).toBe('Multi-line\ntext, with comma');
    expect(dataset!.rows[10]).toMatchObject({ line: 14, text: 'Another\n\nmulti-line ok', score: -0.9, label: 'negative' });
    expect(() => assertReady(dataset!)).toThrow(/10 problems to fix or drop first:\nLine 5/);
  });

  it('gives the same line numbers with CRLF line endings', async () => {
    const crlf = readFileSync(join(FIX, 'bad-rows.csv'), 'utf8').replace(/\n/g, '\r\n');
    const { dataset } = await loadDataset(crlf, opts);
    expect(summary(dataset!)).toEqual(BAD_ROWS_EXPECTED);
    expect(dataset!.rows[1].text).toBe('Multi-line\r\ntext, with comma');
  });

  it('drops exactly the rows the user confirms, then is ready', async () => {
    const { dataset } = await loadDataset(fixture('bad-rows.csv'), opts);
    const lines = problemLines(dataset!);
    expect(lines).toEqual([5, 6, 7, 8, 9, 11, 12, 17, 18, 20]);
    const partial = dropRows(dataset!, [5, 6]);
    expect(partial.rows).toHaveLength(13);
    expect(summary(partial)[0]).toEqual([7, 'score-out-of-range']);
    const clean = dropRows(dataset!, lines);
    expect(clean.problems).toEqual([]);
    expect(clean.dropped).toEqual(lines);
    expect(clean.rows.map((r) => r.line)).toEqual([2, 3, 13, 14, 19]);
    expect(clean.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(() => assertReady(clean)).not.toThrow();
    // The original is untouched.
    expect(dataset!.rows).toHaveLength(15);
  });

  it('without a declared label set, labels are collected and a wider score range can be declared', async () => {
    const t = await parseTable(fixture('bad-rows.csv'));
    const ds = buildDataset(t, { text: 'text', score: 'score', label: 'label' }, { scoreRange: [-2, 2] });
    expect(summary(ds).map((p) => p[1])).not.toContain('unknown-label');
    expect(summary(ds).map((p) => p[1])).not.toContain('score-out-of-range');
    expect(ds.labels).toEqual(['meh', 'negative', 'neutral', 'positive']);
  });
});

describe('formats and encodings', () => {
  it('reads the label-only fixture as a classification task', async () => {
    const { dataset, detected } = await loadDataset(fixture('label-only.csv'));
    expect(detected).toEqual({ text: 'text', label: 'label' });
    expect(dataset!.task).toBe('label');
    expect(dataset!.problems).toEqual([]);
    expect(dataset!.rows).toHaveLength(12);
    expect(dataset!.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(dataset!.rows[3]).toEqual({ line: 5, text: 'Analysts upgrade the stock, citing growth', label: 'positive' });
  });

  it('detects semicolon and tab delimiters, accepts a decimal comma there, and strips a BOM', async () => {
    const semi = await loadDataset('\uFEFFsentence;sentiment\n"a; b";0,5\nc;-0,25\n');
    expect(semi.table.delimiter).toBe(';');
    expect(semi.table.hadBom).toBe(true);
    expect(semi.detected).toEqual({ text: 'sentence', score: 'sentiment' });
    expect(semi.dataset!.rows).toEqual([
      { line: 2, text: 'a; b', score: 0.5 },
      { line: 3, text: 'c', score: -0.25 },
    ]);
    const tab = await loadDataset('spans\tscore\tsplit\nx, y\t0.1\ttrain\nz\t0.2\tdev\nw\t0.3\tholdout\n');
    expect(tab.table.delimiter).toBe('\t');
    expect(tab.dataset!.rows.map((r) => r.split)).toEqual(['train', 'val', undefined]);
    expect(summary(tab.dataset!)).toEqual([[4, 'bad-split']]);
    // A decimal comma is read only when the column uses it consistently (usesDecimalComma decides).
    expect(parseScore('0,5')).toBeNaN();
    expect(parseScore('0,5', true)).toBe(0.5);
    expect(parseScore(' 1e-1 ')).toBe(0.1);
    expect(parseScore('0x10')).toBeNaN();
    expect(parseScore('Infinity')).toBeNaN();
  });

  it('strips a UTF-8 BOM from bytes and reads .tsv by file name', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('text\tlabel\nhi\t1\nho\t0\n')]);
    const t = await parseTable(new Blob([bytes]), { fileName: 'x.tsv' });
    expect(t.format).toBe('tsv');
    expect(t.hadBom).toBe(true);
    expect(t.header).toEqual(['text', 'label']);
    const ds = buildDataset(t, detectMapping(t.header, t.records));
    expect(ds.labels).toEqual(['0', '1']);
  });

  it('locates invalid UTF-8 on its line, also inside a multi-line field', async () => {
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const bytes = new Uint8Array([
      ...enc('text,score\nok,0.1\nbad '), 0xff, ...enc('byte,0.2\n"two\nlines '), 0xc3, 0x28, ...enc('",0.3\nfine,0.4\n'),
    ]);
    expect(decodeUtf8(bytes).invalidLines).toEqual([3, 5]);
    const { dataset } = await loadDataset(new Blob([bytes]));
    expect(summary(dataset!)).toEqual([[3, 'invalid-utf8'], [4, 'invalid-utf8']]);
    expect(dataset!.problems[1].message).toMatch(/\(line 5\)/);
    expect(dataset!.rows.map((r) => r.line)).toEqual([2, 3, 4, 6]);
  });

  it('reads JSONL with numbers, strings and integer labels; flags bad lines', async () => {
    const jsonl = [
      '{"text": "up", "score": 0.5, "label": 2}',
      '{"text": "down", "score": -0.5, "label": 10}',
      '',
      'not json',
      '[1, 2]',
      '{"text": {"nested": true}, "score": 0.1, "label": 1}',
      '{"text": "", "score": "x", "label": 1}',
      '{"text": "no score", "label": 1}',
    ].join('\n');
    const { table, dataset } = await loadDataset(jsonl, { fileName: 'data.jsonl' });
    expect(table.format).toBe('jsonl');
    expect(table.header).toEqual(['text', 'score', 'label']);
    expect(dataset!.task).toBe('both');
    expect(summary(dataset!)).toEqual([
      [4, 'bad-json'],
      [5, 'bad-json'],
      [6, 'bad-json'],
      [7, 'empty-text'],
      [7, 'non-numeric-score'],
      [8, 'non-numeric-score'],
    ]);
    expect(dataset!.labels).toEqual(['2', '10']); // numeric order; label 1 sits only on bad rows
    expect(dataset!.rows[0]).toEqual({ line: 1, text: 'up', score: 0.5, label: '2' });
  });

  it('detects the JSONL format from content', async () => {
    const t = await parseTable('{"sentence":"a","class":"x"}\n{"sentence":"b","class":"y"}\n');
    expect(t.format).toBe('jsonl');
    expect(detectMapping(t.header, t.records)).toEqual({ text: 'sentence', label: 'class' });
  });
});

describe('header, mapping and limits', () => {
  it('reports a duplicate header as a fatal problem on line 1', async () => {
    const r = await loadDataset('text,score,score\na,0.1,0.2\n');
    expect(r.dataset).toBeUndefined();
    expect(r.table.problems).toEqual([
      expect.objectContaining({ line: 1, kind: 'duplicate-header', fatal: true, message: expect.stringMatching(/"score" appears twice .*columns 2 and 3/) }),
    ]);
  });

  it('takes a non-numeric "sentiment" column as the label, and explains a missing mapping', async () => {
    const t = await parseTable('text,sentiment\na,positive\nb,negative\n');
    expect(detectMapping(t.header, t.records)).toEqual({ text: 'text', label: 'sentiment' });
    expect(() => detectTaskKind({ text: 'text' })).toThrow(/score column .* or a label column/);
    expect(() => checkMapping(t.header, { label: 'sentiment' })).toThrow(/Choose the text column .*"text", "sentiment"/);
    expect(() => checkMapping(t.header, { text: 'text', score: 'nope' })).toThrow(/score column "nope" is not in the file/);
    expect(() => checkMapping(t.header, { text: 'text', label: 'text' })).toThrow(/mapped as both text and label/);
    const r = await loadDataset('body,score\na,0.1\n');
    expect(r.mappingError).toMatch(/Choose the text column/);
  });

  it('enforces the row, byte and text-length limits with clear messages', async () => {
    const csv = 'text,score\n' + Array.from({ length: 30 }, (_, i) => `row ${i},0.1`).join('\n');
    const rows = await loadDataset(csv, { limits: { maxRows: 20 } });
    expect(rows.table.problems).toEqual([expect.objectContaining({ line: 22, kind: 'too-many-rows', fatal: true, message: expect.stringMatching(/more than 20 rows/) })]);
    expect(rows.dataset).toBeUndefined();
    const big = await parseTable(csv, { limits: { maxBytes: 100 } });
    expect(big.problems[0]).toMatchObject({ kind: 'too-large', fatal: true });
    expect(big.problems[0].message).toMatch(/limit is 0 MiB|limit/);
    const long = await loadDataset('text,score\n' + 'x'.repeat(50) + ',0.1\nok,0.2\n', { limits: { maxTextChars: 40 } });
    expect(summary(long.dataset!)).toEqual([[2, 'text-too-long']]);
    expect((await parseTable('  \n')).problems[0]).toMatchObject({ kind: 'empty-file' });
  });

  it('detects the delimiter from the header line, ignoring quoted ones', () => {
    expect(detectDelimiter('"a,b";c\n1,2,3;4')).toBe(';');
    expect(detectDelimiter('text\tscore\n')).toBe('\t');
    expect(detectDelimiter('text\n')).toBe(',');
  });

  it('reads the demo data without problems', async () => {
    const { dataset } = await loadDataset(new Blob([readFileSync(join(__dirname, '../../../public/data/semeval2017-task5-microblogs.csv'))]));
    expect(dataset!.task).toBe('score');
    expect(dataset!.problems).toEqual([]);
    expect(dataset!.rows).toHaveLength(1738);
  });
});

describe('100k rows', () => {
  it('parses a generated 100k-row file and reports progress (time printed)', async () => {
    const lines = ['text,score,label'];
    for (let i = 0; i < 100_000; i++) lines.push(`"row ${i}, with ""quotes"" and a comma",${((i % 200) / 100 - 1).toFixed(2)},${['pos', 'neg', 'neu'][i % 3]}`);
    const csv = lines.join('\n') + '\n';
    const progress: number[] = [];
    const t0 = performance.now();
    const { table, dataset } = await loadDataset(new Blob([csv]), { onProgress: (p) => progress.push(p.rows) });
    const ms = performance.now() - t0;
    console.log(`[bench] 100k-row CSV (${(csv.length / 2 ** 20).toFixed(1)} MiB): parse ${table.parseMs.toFixed(0)} ms, parse+validate ${ms.toFixed(0)} ms`);
    expect(dataset!.rows).toHaveLength(100_000);
    expect(dataset!.problems).toEqual([]);
    expect(dataset!.rows[99_999]).toMatchObject({ line: 100_001, text: 'row 99999, with "quotes" and a comma' });
    expect(progress.length).toBeGreaterThanOrEqual(20);
    expect(progress.at(-1)).toBe(100_000);
    // Cancelling mid-way stops with a clear error.
    const ac = new AbortController();
    await expect(parseTable(csv, { signal: ac.signal, onProgress: (p) => p.rows >= 10_000 && ac.abort() })).rejects.toThrow(/cancelled/);
  });
});
