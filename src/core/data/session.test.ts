import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataSession, PROBLEM_CAP, type DataProgress } from './session';
import { TextTokenizer } from '../model/tokenizer';
import { splitRows } from './split';

const ROOT = join(__dirname, '../../..');
const fixture = (name: string) => new Blob([readFileSync(join(ROOT, 'tests/fixtures/data', name))]);
const BAD_ROWS_EXPECTED: [number, string][] = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/data/bad-rows.expected.json'), 'utf8')).problems;
const demo = () => new Blob([readFileSync(join(ROOT, 'public/data/semeval2017-task5-microblogs.csv'))]);

let tok: TextTokenizer | undefined;
function counter() {
  tok ??= TextTokenizer.fromJSON(
    JSON.parse(readFileSync(join(ROOT, 'public/models/tiny-roberta/tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(ROOT, 'public/models/tiny-roberta/tokenizer_config.json'), 'utf8')),
  );
  const t = tok;
  return Promise.resolve((text: string) => t.encode(text, Number.MAX_SAFE_INTEGER).length);
}

describe('DataSession', () => {
  it('lists the bad rows, keeps the user mapping options, drops only on request, then saves', async () => {
    const s = new DataSession({ tokenizer: counter });
    let sum = await s.open(fixture('bad-rows.csv'), 'bad-rows.csv');
    expect(sum.detected).toEqual({ text: 'text', score: 'score', label: 'label' });
    expect(sum.task).toBe('both');
    // No declared labels: "meh" is a class of its own, so line 11 is not a problem yet.
    expect(sum.problems.map((p) => p.line)).toEqual([5, 6, 7, 8, 9, 12, 17, 18, 20]);
    sum = await s.remap(sum.mapping!, { labels: ['positive', 'negative', 'neutral'] });
    expect(sum.problems.map((p) => [p.line, p.kind])).toEqual(BAD_ROWS_EXPECTED);
    expect(sum.problemCount).toBe(10);
    expect(sum.problemRows).toBe(10);
    expect(sum.rows).toBe(15);
    expect(sum.preview[1]).toEqual({ line: 3, values: ['Multi-line\ntext, with comma', '0.1', 'neutral'] });
    await expect(s.record()).rejects.toThrow(/10 problems to fix or drop first/);
    expect(s.problemReport().split('\n')[0]).toBe('Line 5: The text ("text") is empty.');

    sum = s.dropProblemRows();
    expect(sum.problemCount).toBe(0);
    expect(sum.rows).toBe(5);
    expect(sum.dropped).toBe(10);
    expect(sum.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(sum.stats.labels).toEqual([
      { label: 'negative', count: 2 },
      { label: 'neutral', count: 1 },
      { label: 'positive', count: 2 },
    ]);
    // Re-mapping (score only now) keeps the dropped rows dropped.
    sum = await s.remap({ text: 'text', score: 'score' });
    expect(sum.task).toBe('score');
    expect(sum.rows).toBe(5);
    expect(sum.problemCount).toBe(0);
    expect(sum.stats.derived!.counts.reduce((a, b) => a + b, 0)).toBe(5);

    const split = s.split({ seed: 7, valFraction: 0.2 });
    // ceil(5 × 0.2) = 1 row validates.
    expect(split).toMatchObject({ train: 4, val: 1, test: 0, fromColumn: false });
    const rec = await s.record(1234);
    expect(rec.rows.map((r) => r.line)).toEqual([2, 3, 13, 14, 19]);
    expect(rec.rows[0]).toEqual({ line: 2, text: 'Good quarter for $AAPL', score: 0.6 });
    expect(rec.mapping).toMatchObject({ text: 'text', score: 'score', task: 'score', scoreRange: [-1, 1], splitSeed: 7, valFraction: 0.2 });
    expect(rec.id).toBe(`ds-${rec.fingerprint.sha256.slice(0, 16)}`);
    expect(rec).toMatchObject({ name: 'bad-rows.csv', createdAt: 1234, fingerprint: { rows: 5, task: 'score' } });
  });

  it('reads the label-only fixture as a classification task with its class counts', async () => {
    const s = new DataSession({ tokenizer: counter });
    const sum = await s.open(fixture('label-only.csv'), 'label-only.csv');
    expect(sum.task).toBe('label');
    expect(sum.problemCount).toBe(0);
    expect(sum.stats.labels).toEqual([
      { label: 'negative', count: 4 },
      { label: 'neutral', count: 4 },
      { label: 'positive', count: 4 },
    ]);
    expect(sum.stats.score).toBeUndefined();
    // "Great results this quarter" = <s> Great results this quarter </s>: 6 tokens.
    expect(sum.stats.tokens!.counts.reduce((a, b) => a + b, 0)).toBe(12);
    expect(sum.stats.tokens!.overMax).toBe(0);
    const rec = await s.record();
    expect(rec.mapping.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(rec.mapping.task).toBe('label');
  });

  it('reads the demo CSV: 1738 score rows, a seeded 90/10 split, token lengths from the real tokenizer', async () => {
    const s = new DataSession({ tokenizer: counter });
    const phases: DataProgress['phase'][] = [];
    const sum = await s.open(demo(), 'semeval.csv', (p) => phases.push(p.phase));
    expect(sum).toMatchObject({ rows: 1738, records: 1738, task: 'score', problemCount: 0, format: 'csv', delimiter: ',' });
    expect(phases).toContain('parsing');
    expect(phases).toContain('tokenizing');
    expect(sum.stats.score!.counts.reduce((a, b) => a + b, 0)).toBe(1738);
    expect(sum.stats.derived!.counts.reduce((a, b) => a + b, 0)).toBe(1738);
    const t = sum.stats.tokens!;
    expect(t.counts.reduce((a, b) => a + b, 0)).toBe(1738);
    expect(t.max).toBeGreaterThanOrEqual(t.p95);
    expect(t.p95).toBeGreaterThanOrEqual(3);
    const a = s.split({ seed: 42 });
    expect(a).toMatchObject({ train: 1564, val: 174, test: 0 });
    // Same seed → the same split as the trainer computes from the stored rows.
    const rec = await s.record();
    const again = splitRows(rec.rows, { seed: 42, valFraction: 0.1 });
    expect(again.val.length).toBe(174);
    const b = s.split({ seed: 42, valFraction: 0.1, testFraction: 0.1 });
    expect(b).toMatchObject({ train: 1738 - 174 - 174, val: 174, test: 174 });
    // A lower max length counts the rows that will be truncated.
    const short = await s.remap(sum.mapping!, { maxLength: 8 });
    expect(short.stats.tokens!.overMax).toBeGreaterThan(0);
    expect(short.stats.tokens!.overMax).toBeLessThan(1738);
    // What is stored is what the page showed: the split (with its test part), the max length and how many
    // rows it cuts; every run on this dataset uses these.
    s.split({ seed: 9, valFraction: 0.1, testFraction: 0.2 });
    const stored = await s.record();
    expect(stored.mapping).toMatchObject({ splitSeed: 9, valFraction: 0.1, testFraction: 0.2, useSplitColumn: false, maxLength: 8 });
    expect(stored.mapping.splitCounts).toEqual({ train: 1738 - 174 - 348, val: 174, test: 348 });
    expect(stored.mapping.truncated).toBe(short.stats.tokens!.overMax);
  });

  it('caps the problems it sends but counts them all, and the report lists every one', async () => {
    const lines = ['text,score'];
    for (let i = 0; i < 1500; i++) lines.push(`row ${i},${i % 2 ? 'x' : '0.5'}`);
    const s = new DataSession();
    const sum = await s.open(lines.join('\n'), 'many.csv');
    expect(sum.problemCount).toBe(750);
    expect(sum.problems).toHaveLength(750);
    const more = ['text,score'];
    for (let i = 0; i < 5000; i++) more.push(`row ${i},${i % 2 ? 'nope' : '0.5'}`);
    const big = await s.open(more.join('\n'), 'more.csv');
    expect(big.problemCount).toBe(2500);
    expect(big.problems).toHaveLength(PROBLEM_CAP);
    expect(s.problemReport().split('\n')).toHaveLength(2500);
    expect(s.problemReport().split('\n')[2499]).toBe('Line 5001: The score "nope" is not a number.');
    expect(big.stats.tokens).toBeUndefined();
  });

  it('a file-level problem leaves nothing to drop or save', async () => {
    const s = new DataSession();
    const sum = await s.open('text,text,score\na,b,0.1\n', 'dup.csv');
    expect(sum.fatal).toBe(true);
    expect(sum.mapping).toBeUndefined();
    expect(sum.problems[0]).toMatchObject({ line: 1, kind: 'duplicate-header', fatal: true });
    expect(() => s.dropProblemRows()).toThrow(/no dataset/);
    await expect(s.record()).rejects.toThrow(/fix the problems/);
  });

  it('reports a mapping that cannot be used and recovers when the user picks columns', async () => {
    const s = new DataSession();
    let sum = await s.open('body,y\nhello,0.2\nworld,-0.1\n', 'x.csv');
    expect(sum.mapping).toBeUndefined();
    expect(sum.mappingError).toMatch(/Choose the text column/);
    sum = await s.remap({ text: 'body' });
    expect(sum.mappingError).toMatch(/Map a score column/);
    sum = await s.remap({ text: 'body', score: 'y' }, { scoreRange: null });
    expect(sum.task).toBe('score');
    expect(sum.rows).toBe(2);
    await expect(s.remap({ text: 'body', score: 'y' }, { scoreRange: [1, Number.NaN] })).rejects.toThrow(/must be numbers/);
  });

  it('a newer open cancels one still tokenizing, and a broken tokenizer does not fail the upload', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const lines = ['text,score'];
    for (let i = 0; i < 5000; i++) lines.push(`row ${i},0.1`);
    const s = new DataSession({ tokenizer: counter, yieldEvery: () => gate });
    const first = s.open(lines.join('\n'), 'a.csv');
    await new Promise((r) => setTimeout(r, 50));
    const second = s.open(fixture('label-only.csv'), 'b.csv');
    release();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    expect((await second).name).toBe('b.csv');

    const broken = new DataSession({ tokenizer: () => Promise.reject(new Error('404 tokenizer.json')) });
    const sum = await broken.open(fixture('label-only.csv'), 'c.csv');
    expect(sum.rows).toBe(12);
    expect(sum.stats.tokens).toBeUndefined();
    expect(sum.stats.tokenError).toMatch(/404 tokenizer.json/);
  });
});

describe('DataSession: reading, checks and choices', () => {
  const SENT = [
    'Net sales rose 12 % to EUR 31.2 mn , the company said .',
    'Operating profit fell to EUR 4.1 mn from EUR 6.3 mn .',
    'The company employs 250 people in Finland .',
    'Shares dropped 8 % after the profit warning .',
    'The order is worth about EUR 2 mn .',
    'Net profit doubled , beating forecasts .',
  ];
  const LABELS = ['positive', 'negative', 'neutral', 'negative', 'neutral', 'positive'];
  /** PhraseBank-style bytes: sentence@label, UTF-8 BOM, CRLF, no header; n rows (cycling), plus extra lines. */
  function phraseBank(n: number, extra: string[] = []): Blob {
    const lines = Array.from({ length: n }, (_, i) => `${SENT[i % SENT.length]} (${i})@${LABELS[i % LABELS.length]}`).concat(extra);
    return new Blob([new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(lines.join('\r\n') + '\r\n')])]);
  }

  it('understands a PhraseBank file, lists a typo class, and merges / drops / keeps it as chosen', async () => {
    const s = new DataSession();
    let sum = await s.open(phraseBank(300, ['Revenue grew strongly .@postive']), 'Sentences_50Agree.txt');
    expect(sum.readAs).toBe('@-separated (label after the last @), no header, UTF-8 with BOM, CRLF line ends');
    expect(sum.header).toEqual(['column 1', 'column 2']);
    expect(sum.detected).toEqual({ text: 'column 1', label: 'column 2' });
    expect(sum).toMatchObject({ task: 'label', records: 301, rows: 301, problemCount: 0 });
    expect(sum.labels).toEqual(['negative', 'neutral', 'positive', 'postive']);
    expect(sum.checks.blockers).toEqual([]);
    expect(sum.checks.rareClasses).toEqual([
      expect.objectContaining({ label: 'postive', count: 1, message: 'postive (1 row) looks like a typo of positive.', fix: { action: 'keep' } }),
    ]);
    sum = await s.remap(sum.mapping!, { labelFixes: { postive: { action: 'merge', into: 'positive' } } });
    expect(sum.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(sum.checks).toMatchObject({ merged: 1, labelDropped: 0, rareClasses: [expect.objectContaining({ label: 'postive', fix: { action: 'merge', into: 'positive' } })] });
    expect(sum.stats.labels!.find((l) => l.label === 'positive')!.count).toBe(101);
    expect((await s.record()).rows.at(-1)).toMatchObject({ line: 301, label: 'positive' });
    sum = await s.remap(sum.mapping!, { labelFixes: { postive: { action: 'drop' } } });
    expect(sum).toMatchObject({ rows: 300, dropped: 1, labels: ['negative', 'neutral', 'positive'] });
    expect(sum.checks.labelDropped).toBe(1);
    sum = await s.remap(sum.mapping!, { labelFixes: { postive: { action: 'keep' } } });
    expect(sum).toMatchObject({ rows: 301, dropped: 0 });
    expect(sum.labels).toHaveLength(4);
  });

  it('re-reads with the user\'s delimiter, header and encoding', async () => {
    const s = new DataSession();
    let sum = await s.open(phraseBank(12), 'pb.txt', undefined, { read: { delimiter: ',' } });
    expect(sum.delimiter).toBe(',');
    expect(sum.read).toEqual({ delimiter: ',' });
    expect(sum.reading.delimiterSource).toBe('chosen');
    sum = await s.open(phraseBank(12), 'pb.txt', undefined, { read: { header: true } });
    expect(sum.records).toBe(11);
    expect(sum.readAs).toMatch(/^@-separated \(label after the last @\), first row is the header/);
    const latin = new Uint8Array([...new TextEncoder().encode('text;score\nCaf'), 0xe9, ...new TextEncoder().encode(' up;0,5\nflat;0\n')]);
    sum = await s.open(new Blob([latin]), 'fr.csv');
    expect(sum.reading.suggestedEncoding).toBe('windows-1252');
    expect(sum.problems[0]).toMatchObject({ line: 2, kind: 'invalid-utf8' });
    sum = await s.open(new Blob([latin]), 'fr.csv', undefined, { read: { encoding: 'windows-1252' } });
    expect(sum.problemCount).toBe(0);
    expect(sum.preview[0].values).toEqual(['Café up', '0,5']);
    expect(sum.decimalComma).toBe(true);
    expect(sum.readAs).toBe('semicolon-separated, first row is the header, Windows-1252, LF line ends');
  });

  it('blocks a label column with hundreds of classes, with the reason', async () => {
    // PhraseBank read as a comma CSV with the first sentence as header: the "label" is a text fragment.
    const lines = ['text,label', ...Array.from({ length: 729 }, (_, i) => `Sales rose ${i} %,${i < 701 ? `'' he said ${i} .@neutral` : 'x'}`)];
    const s = new DataSession();
    const sum = await s.open(lines.join('\n'), 'misread.csv');
    expect(sum.problemCount).toBe(0);
    expect(sum.checks.blockers).toEqual([
      '702 distinct labels in 729 rows of "label": this does not look like a label column — check the delimiter (the file was read as comma-separated) or choose another label column.',
    ]);
    expect(sum.checks.rareClasses).toEqual([]);
    await expect(s.record()).rejects.toThrow(/^702 distinct labels in 729 rows/);
  });

  it('reports repeated texts and keeps the first of each on request', async () => {
    const lines = ['text,label'];
    for (let k = 0; k < 180; k++) for (let i = 0; i < 11; i++) lines.push(`Company ${i} reports results,${['pos', 'neg', 'neu'][i % 3]}`);
    const s = new DataSession();
    let sum = await s.open(lines.join('\n'), 'dups.csv');
    expect(sum.rows).toBe(1980);
    expect(sum.checks.duplicates).toMatchObject({ repeats: 1969, distinct: 11, conflicting: 0 });
    expect(sum.checks.duplicates!.message).toMatch(/^1,969 rows repeat another row's text; 11 distinct texts/);
    sum = await s.remap(sum.mapping!, { dedupe: true });
    expect(sum).toMatchObject({ rows: 11, dropped: 1969 });
    expect(sum.checks).toMatchObject({ dedupe: true, deduplicated: 1969, duplicates: { repeats: 1969 } });
    // Dropping problem rows later keeps the choice separate: un-ticking restores the repeats.
    sum = s.dropProblemRows();
    expect(sum.rows).toBe(11);
    sum = await s.remap(sum.mapping!, { dedupe: false });
    expect(sum.rows).toBe(1980);
  });
});
