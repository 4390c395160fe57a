import { describe, expect, it } from 'vitest';
import { detectMapping } from './columns';
import { parseTable } from './parse';
import { describeReading, detectLineEnding, guessHeader, sniffDelimiter, sniffEncoding } from './sniff';
import { buildDataset } from './validate';

/** Made-up financial sentences in the Financial PhraseBank style (tokenised, commas and quotes inside). */
const SENTENCES: [string, string][] = [
  ['According to the company , net sales rose 12 % to EUR 31.2 mn .', 'positive'],
  ["Operating profit fell to EUR 4.1 mn from EUR 6.3 mn , the group said .", 'negative'],
  ['The company is based in Helsinki and employs 250 people .', 'neutral'],
  ["'' We expect demand to stay strong , '' he said .", 'positive'],
  ['The order is worth about EUR 2 mn .', 'neutral'],
  ['Shares dropped 8 % after the profit warning .', 'negative'],
  ['Contact : investor@example.com or call the desk .', 'neutral'],
  ['Net profit doubled , beating analysts \' forecasts .', 'positive'],
  ['The plant will be closed and 120 jobs will go .', 'negative'],
  ['The agreement was signed on Monday .', 'neutral'],
];

function phraseBank(rows = SENTENCES, eol = '\r\n'): string {
  return rows.map(([s, l]) => `${s}@${l}`).join(eol) + eol;
}

const bytesOf = (text: string, bom = true) => new Blob([new Uint8Array([...(bom ? [0xef, 0xbb, 0xbf] : []), ...new TextEncoder().encode(text)])]);

function utf16(text: string, le: boolean, bom: boolean): Uint8Array<ArrayBuffer> {
  const out: number[] = bom ? (le ? [0xff, 0xfe] : [0xfe, 0xff]) : [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out.push(...(le ? [c & 0xff, c >> 8] : [c >> 8, c & 0xff]));
  }
  return new Uint8Array(out);
}

describe('sniffEncoding', () => {
  it('reads the BOM, recognises UTF-16 by its zero bytes, else says UTF-8', () => {
    expect(sniffEncoding(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ encoding: 'utf-8', bom: 3, source: 'bom' });
    expect(sniffEncoding(utf16('text,score\n', true, true))).toEqual({ encoding: 'utf-16le', bom: 2, source: 'bom' });
    expect(sniffEncoding(utf16('text,score\n', false, true))).toEqual({ encoding: 'utf-16be', bom: 2, source: 'bom' });
    expect(sniffEncoding(utf16('text,score\nup,0.5\n', true, false))).toEqual({ encoding: 'utf-16le', bom: 0, source: 'zeros' });
    expect(sniffEncoding(utf16('text,score\nup,0.5\n', false, false))).toEqual({ encoding: 'utf-16be', bom: 0, source: 'zeros' });
    expect(sniffEncoding(new TextEncoder().encode('text,score\nup,0.5\n'))).toEqual({ encoding: 'utf-8', bom: 0, source: 'default' });
    expect(sniffEncoding(new Uint8Array([0x80, 0xe9, 0x41]))).toMatchObject({ encoding: 'utf-8' });
  });
});

describe('detectLineEnding', () => {
  it('names the line ends', () => {
    expect(detectLineEnding('a\r\nb\r\n')).toBe('CRLF');
    expect(detectLineEnding('a\nb\n')).toBe('LF');
    expect(detectLineEnding('a\rb\r')).toBe('CR');
    expect(detectLineEnding('a\r\nb\nc')).toBe('mixed');
    expect(detectLineEnding('one line')).toBe('none');
  });
});

describe('sniffDelimiter', () => {
  it('finds @ at the end of PhraseBank lines although the sentences hold commas', () => {
    const g = sniffDelimiter(phraseBank());
    expect(g).toMatchObject({ delimiter: '@', sure: true });
    expect(g.reason).toBe('100 % of the first 10 lines end in @label');
  });
  it('picks the delimiter that splits the rows consistently, ignoring quoted ones', () => {
    expect(sniffDelimiter('text,score\n"a; b; c",0.5\nd,0.1\n')).toMatchObject({ delimiter: ',', sure: true });
    expect(sniffDelimiter('text;score\n"a, b, c";0,5\nd, e;0,1\n')).toMatchObject({ delimiter: ';', sure: true });
    expect(sniffDelimiter('text\tscore\na, b\t0.5\nc\t0.1\n').delimiter).toBe('\t');
    expect(sniffDelimiter('text|label\na, b|pos\nc; d|neg\n').delimiter).toBe('|');
    expect(sniffDelimiter('"a,b";c\n1,2,3;4').delimiter).toBe(';');
    expect(sniffDelimiter('"name, full";label\n"a, b";pos\n"c, d";neg\n').delimiter).toBe(';');
    // A tweet that mentions @someone is not a text@label line.
    expect(sniffDelimiter('text,score\n"thanks @bob",0.5\nhi @ann you there,0.1\n').delimiter).toBe(',');
    expect(sniffDelimiter('just text\nmore text\n')).toMatchObject({ delimiter: ',', reason: expect.stringMatching(/single column/) });
  });
});

describe('guessHeader', () => {
  it('takes a row as names when a numeric column holds a word there, or it holds a usual column name', () => {
    expect(guessHeader([['body', 'y'], ['up', '0.5'], ['down', '-0.2'], ['flat', '0']])).toEqual({
      hasHeader: true,
      sure: true,
      reason: 'column 2 holds numbers in the other rows but "y" in the first',
    });
    expect(guessHeader([['sentence', 'label'], ['up a lot', 'pos'], ['down', 'neg']])).toMatchObject({ hasHeader: true, sure: true, reason: 'the first row holds the column name "sentence"' });
  });
  it('takes a row as data when it holds a number, a repeated label value or a sentence', () => {
    expect(guessHeader([['up', '0.5'], ['down', '-0.2'], ['flat', '0']])).toMatchObject({ hasHeader: false, sure: true, reason: 'the first row holds a number (0.5) in column 2, like the other rows' });
    expect(guessHeader(SENTENCES.map(([s, l]) => [s, l]))).toMatchObject({ hasHeader: false, sure: true });
    expect(guessHeader([['a', 'pos'], ['b', 'pos'], ['c', 'neg'], ['d', 'pos'], ['e', 'neg']])).toMatchObject({
      hasHeader: false,
      reason: 'the first row\'s "pos" in column 2 is also a value of that column in other rows',
    });
  });
  it('asks when nothing tells', () => {
    expect(guessHeader([['a', 'b'], ['c', 'd'], ['e', 'f']])).toMatchObject({ hasHeader: true, sure: false });
    expect(guessHeader([['only row']])).toMatchObject({ hasHeader: true, sure: false });
  });
});

describe('parseTable with sniffing', () => {
  it('reads a Financial PhraseBank file (sentence@label, BOM, CRLF, no header) as text + label, every line a row', async () => {
    const t = await parseTable(bytesOf(phraseBank()), { fileName: 'Sentences_AllAgree.txt' });
    expect(t.delimiter).toBe('@');
    expect(t.header).toEqual(['column 1', 'column 2']);
    expect(t.records).toHaveLength(SENTENCES.length);
    expect(t.problems).toEqual([]);
    expect(t.records[0]).toEqual({ line: 1, endLine: 1, values: [SENTENCES[0][0], 'positive'] });
    // The label follows the LAST @; an address in the sentence stays in the text.
    expect(t.records[6].values).toEqual(['Contact : investor@example.com or call the desk .', 'neutral']);
    expect(t.reading).toMatchObject({ encoding: 'utf-8', encodingSource: 'bom', lineEnding: 'CRLF', hasHeader: false, headerSure: true, delimiterSource: 'detected' });
    expect(describeReading(t)).toBe('@-separated (label after the last @), no header, UTF-8 with BOM, CRLF line ends');
    const mapping = detectMapping(t.header, t.records, { byContent: !t.reading.hasHeader });
    expect(mapping).toEqual({ text: 'column 1', label: 'column 2' });
    const ds = buildDataset(t, mapping);
    expect(ds.labels).toEqual(['negative', 'neutral', 'positive']);
    // A line without @ is listed, not silently merged.
    const bad = await parseTable(phraseBank([...SENTENCES, ['no label here', '']]).replace('no label here@\r\n', 'no label here\r\n'));
    expect(bad.problems).toEqual([expect.objectContaining({ line: 11, kind: 'ragged-row', message: 'The line has no "@": expected the text, then "@" and the label.' })]);
  });

  it('keeps the first row of a header-less comma file and maps its columns by content', async () => {
    const csv = 'Shares rose after strong quarterly results,0.62\nThe bank cut its outlook,-0.41\nVolumes were flat,0.02\n';
    const t = await parseTable(csv);
    expect(t.reading).toMatchObject({ hasHeader: false, headerSure: true });
    expect(t.header).toEqual(['column 1', 'column 2']);
    expect(t.records.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(detectMapping(t.header, t.records, { byContent: true })).toEqual({ text: 'column 1', score: 'column 2' });
    expect(describeReading(t)).toBe('comma-separated, no header, UTF-8, LF line ends');
  });

  it('follows the user: header or not, delimiter', async () => {
    const csv = 'a,b\nc,d\n';
    expect((await parseTable(csv)).reading).toMatchObject({ hasHeader: true, headerSure: false });
    const data = await parseTable(csv, { header: false });
    expect(data.header).toEqual(['column 1', 'column 2']);
    expect(data.records).toHaveLength(2);
    expect(data.reading).toMatchObject({ hasHeader: false, headerSource: 'chosen' });
    const forced = await parseTable(bytesOf(phraseBank(), false), { header: true, delimiter: '@' });
    expect(forced.header).toEqual([SENTENCES[0][0], 'positive']);
    expect(forced.records).toHaveLength(SENTENCES.length - 1);
    const semi = await parseTable('x;y\n1;2\n', { delimiter: ',' });
    expect(semi.header).toEqual(['x;y']);
    expect(semi.reading).toMatchObject({ delimiterSource: 'chosen' });
    await expect(parseTable(csv, { delimiter: '"' })).rejects.toThrow(/one character other than a quote/);
  });

  it('decodes UTF-16 files by their BOM', async () => {
    for (const le of [true, false]) {
      const t = await parseTable(new Blob([utf16('text,score\r\nCafé up 5 €,0.5\r\n', le, true)]));
      expect(t.problems).toEqual([]);
      expect(t.header).toEqual(['text', 'score']);
      expect(t.reading).toMatchObject({ encoding: le ? 'utf-16le' : 'utf-16be', encodingSource: 'bom' });
      expect(t.hadBom).toBe(true);
      expect(t.records[0].values).toEqual(['Café up 5 €', '0.5']);
      expect(describeReading(t)).toBe(`comma-separated, first row is the header, UTF-16 ${le ? 'LE' : 'BE'} with BOM, CRLF line ends`);
      // Without a header the BOM must not stick to the first text (here a PhraseBank file saved as UTF-16).
      const bare = await parseTable(new Blob([utf16(phraseBank(SENTENCES.slice(0, 4)), le, true)]));
      expect(bare.reading).toMatchObject({ hasHeader: false, encoding: le ? 'utf-16le' : 'utf-16be' });
      expect(bare.records[0].values).toEqual([SENTENCES[0][0], 'positive']);
    }
  });

  it('says a Windows-1252 file is not UTF-8, suggests Windows-1252, and reads it so when asked', async () => {
    // "Umsatz +5 € für Café;0,5" with € = 0x80 and é = 0xE9 in Windows-1252.
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const bytes = new Uint8Array([...enc('text;score\nUmsatz +5 '), 0x80, ...enc(' f'), 0xfc, ...enc('r Caf'), 0xe9, ...enc(';0,5\nplain;0,1\n')]);
    const auto = await parseTable(new Blob([bytes]));
    expect(auto.reading).toMatchObject({ encoding: 'utf-8', invalidUtf8Lines: 1, suggestedEncoding: 'windows-1252' });
    expect(auto.problems).toEqual([expect.objectContaining({ line: 2, kind: 'invalid-utf8', message: expect.stringMatching(/read it as Windows-1252/) })]);
    const win = await parseTable(new Blob([bytes]), { encoding: 'windows-1252' });
    expect(win.problems).toEqual([]);
    expect(win.reading).toMatchObject({ encoding: 'windows-1252', encodingSource: 'chosen', invalidUtf8Lines: 0 });
    expect(win.reading.suggestedEncoding).toBeUndefined();
    expect(win.records[0].values).toEqual(['Umsatz +5 € für Café', '0,5']);
  });
});
