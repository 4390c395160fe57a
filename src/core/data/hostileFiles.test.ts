// Files that used to freeze the page or bury the message: very wide files, runaway header lines, UTF-16
// read as something else.
import { describe, expect, it } from 'vitest';
import { DataSession } from './session';
import { PREVIEW_CELL_CHARS, PREVIEW_COLUMNS } from './types';
import { MAX_COLUMN_NAME } from './textRules';

const tokens = () => Promise.resolve((t: string) => t.split(' ').length + 2);

describe('hostile files on the Data page', () => {
  it('previews at most PREVIEW_COLUMNS columns of a 10,000-column file, with cells cut', async () => {
    const cols = 10_000;
    const header = ['text', ...Array.from({ length: cols - 1 }, (_, i) => `c${i}`)].join(',');
    const row = (i: number) => [`row ${i} ${'w'.repeat(500)}`, ...Array.from({ length: cols - 1 }, () => '1')].join(',');
    const s = new DataSession({ tokenizer: tokens });
    const sum = await s.open(new Blob([[header, row(1), row(2), row(3)].join('\n')]), 'wide.csv');
    expect(sum.header).toHaveLength(cols);
    expect(sum.preview).toHaveLength(3);
    expect(sum.preview.every((r) => r.values.length === PREVIEW_COLUMNS)).toBe(true);
    expect(sum.preview[0].values[0]).toHaveLength(PREVIEW_CELL_CHARS);
    expect(sum.preview[0].values[0].endsWith('…')).toBe(true);
  });

  it('caps a runaway header name in the columns and in every message', async () => {
    const huge = 'h'.repeat(2_000_000);
    const s = new DataSession({ tokenizer: tokens });
    const sum = await s.open(new Blob([`${huge},other\nsome text,1\nmore text,2\n`]), 'huge-header.csv');
    expect(sum.header.map((h) => h.length)).toEqual([MAX_COLUMN_NAME, 5]);
    // No column is called text and none holds a score: the mapping message lists the (capped) columns.
    expect(sum.mappingError).toBeDefined();
    expect(sum.mappingError!.length).toBeLessThan(400);
    // 500 long column names (a row of numbers under them, so the first row reads as a header).
    await s.open(new Blob([Array.from({ length: 500 }, (_, i) => `${'n'.repeat(200)}${i}`).join(',') + '\n' + Array(500).fill('1').join(',') + '\n']), 'many.csv', undefined, { read: { header: true } });
    const many = await s.remap({ text: 'gone', score: 'also gone' });
    expect(many.mappingError!).toMatch(/^The text column "gone" is not in the file; the columns are: "n{59}…n{19}0", "n{59}…n{19}1", .* and 488 more\.\)?$/);
    expect(many.mappingError!.length).toBeLessThan(1500);
  });

  it('says UTF-16 when a UTF-16 file is read as UTF-8 or Windows-1252 (and reads it when detected)', async () => {
    const text = 'text,score\nbonjour été,0.5\nnein danke,-0.25\n';
    const le = new Uint8Array([0xff, 0xfe, ...new Uint8Array(Buffer.from(text, 'utf16le'))]);
    const be = new Uint8Array(Buffer.from(text, 'utf16le'));
    for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1], be[i]];
    const s = new DataSession({ tokenizer: tokens });
    const auto = await s.open(new Blob([le]), 'le.csv');
    expect(auto.reading.encoding).toBe('utf-16le');
    expect(auto.rows).toBe(2);
    const asUtf8 = await s.open(new Blob([le]), 'le.csv', undefined, { read: { encoding: 'utf-8' } });
    expect(asUtf8.fatal).toBe(true);
    expect(asUtf8.problems[0].message).toBe('This file is UTF-16 LE (it starts with a UTF-16 byte-order mark), not UTF-8: choose UTF-16 LE under Encoding, or save the file as UTF-8.');
    expect(asUtf8.reading.suggestedEncoding).toBe('utf-16le');
    const beAs1252 = await s.open(new Blob([be]), 'be.csv', undefined, { read: { encoding: 'windows-1252' } });
    expect(beAs1252.problems[0].message).toMatch(/^This file is UTF-16 BE \(every other byte is zero, as in UTF-16 text\), not Windows-1252/);
    expect(beAs1252.reading.suggestedEncoding).toBe('utf-16be');
  });
});
