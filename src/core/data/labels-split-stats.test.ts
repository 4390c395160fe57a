import { describe, expect, it } from 'vitest';
import { buildLabelVocabulary, checkThresholds, deriveClasses, encodeLabels } from './labels';
import { deriveClass, DERIVED_THRESHOLDS } from '../vocabulary';
import { splitRows } from './split';
import { derivedClassCounts, histogram, labelCounts, scoreHistogram, tokenLengthHistogram } from './stats';
import { datasetFingerprint } from './fingerprint';
import { loadDataset } from './dataset';
import { dropRows } from './validate';
import type { DataRow } from './types';

describe('derived 5-class labels (the seed paper thresholds)', () => {
  it('follows the boundaries exactly', () => {
    const cases: [number, number][] = [
      [-1, 0], [-0.5001, 0], [-0.5, 1], [-0.2, 1], [-0.0491, 1], [-0.049, 2], [0, 2], [0.049, 2],
      [0.0491, 3], [0.3, 3], [0.5, 3], [0.5001, 4], [1, 4],
    ];
    for (const [y, c] of cases) expect(deriveClass(y), `y=${y}`).toBe(c);
    expect(DERIVED_THRESHOLDS).toEqual([-0.5, -0.049, 0.049, 0.5]);
  });
  it('accepts edited thresholds and rejects unusable ones', () => {
    expect(deriveClasses([-0.3, 0.05, 0.2], [-0.25, -0.1, 0.1, 0.25])).toEqual([0, 2, 3]);
    expect(checkThresholds([0, 0, 1, 2])).toMatch(/must increase: 0 is not below 0/);
    expect(checkThresholds([0, 1])).toMatch(/exactly 4/);
    expect(() => deriveClasses([0], [1, 0, 2, 3])).toThrow(/must increase/);
  });
});

describe('label vocabulary', () => {
  it('sorts strings by code point and integers numerically, independent of row order', () => {
    const a = buildLabelVocabulary(['positive', 'negative', 'neutral', 'negative']);
    const b = buildLabelVocabulary(['neutral', 'positive', 'negative']);
    expect(a.classes).toEqual(['negative', 'neutral', 'positive']);
    expect(b.classes).toEqual(a.classes);
    expect(encodeLabels(['positive', 'negative'], a)).toEqual([2, 0]);
    const n = buildLabelVocabulary([10, 2, '1', -1]);
    expect(n.numeric).toBe(true);
    expect(n.classes).toEqual(['-1', '1', '2', '10']);
    expect(() => encodeLabels(['meh'], a)).toThrow(/"meh" \(row 1\) is not one of: negative, neutral, positive/);
  });
});

describe('seeded split', () => {
  const rows = (n: number): DataRow[] => Array.from({ length: n }, (_, i) => ({ line: i + 2, text: `t${i}` }));

  it('is 90/10, disjoint, complete and the same for the same seed', () => {
    const s1 = splitRows(rows(1738), { seed: 42 });
    const s2 = splitRows(rows(1738), { seed: 42 });
    const s3 = splitRows(rows(1738), { seed: 43 });
    expect(s1).toEqual(s2);
    expect(s1.val).not.toEqual(s3.val);
    expect(s1.val).toHaveLength(174); // ceil(173.8), like sklearn's train_test_split
    expect(s1.train).toHaveLength(1564);
    expect(s1.test).toEqual([]);
    const all = [...s1.train, ...s1.val].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1738 }, (_, i) => i));
    expect(s1.train).toEqual([...s1.train].sort((a, b) => a - b));
  });

  it('makes an optional test part and refuses impossible shares', () => {
    const s = splitRows(rows(100), { seed: 'abc', valFraction: 0.1, testFraction: 0.2 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([70, 10, 20]);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(100);
    expect(() => splitRows(rows(10), { seed: 1, valFraction: 0.5, testFraction: 0.5 })).toThrow(/must leave rows to train on/);
    expect(() => splitRows(rows(1), { seed: 1 })).toThrow(/1 rows are too few/);
    expect(() => splitRows(rows(10), { seed: 1, valFraction: 0 })).toThrow(/between 0 and 1/);
  });

  it('follows a user split column', () => {
    const r: DataRow[] = [
      { line: 2, text: 'a', split: 'train' },
      { line: 3, text: 'b', split: 'val' },
      { line: 4, text: 'c', split: 'test' },
      { line: 5, text: 'd', split: 'train' },
    ];
    expect(splitRows(r, { seed: 0, useSplitColumn: true })).toEqual({ train: [0, 3], val: [1], test: [2] });
    expect(() => splitRows([r[0], r[2]], { seed: 0, useSplitColumn: true })).toThrow(/no row as validation/);
    expect(() => splitRows([{ line: 9 }], { seed: 0, useSplitColumn: true })).toThrow(/Line 9: the row has no split value/);
  });
});

describe('summary statistics and fingerprint', () => {
  it('bins values with the last bin closed', () => {
    expect(histogram([-1, -0.5, 0, 0.5, 1], { bins: 4, min: -1, max: 1 })).toEqual({ edges: [-1, -0.5, 0, 0.5, 1], counts: [1, 1, 1, 2] });
    expect(histogram([3, 3], { bins: 2 }).counts).toEqual([2, 0]);
    expect(histogram([], { bins: 3 }).counts).toEqual([0, 0, 0]);
  });

  it('counts scores, derived classes and labels', async () => {
    const { dataset } = await loadDataset('text,score,label\na,-0.9,n\nb,0,z\nc,0.2,p\nd,0.7,p\n');
    const h = scoreHistogram(dataset!, 4);
    expect(h.edges).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(h.counts).toEqual([1, 0, 2, 1]);
    expect(derivedClassCounts(dataset!.rows)).toEqual([1, 0, 1, 1, 1]);
    expect(labelCounts(dataset!)).toEqual([
      { label: 'n', count: 1 },
      { label: 'p', count: 2 },
      { label: 'z', count: 1 },
    ]);
  });

  it('summarises token lengths from a tokenize function', () => {
    const texts = ['a b', 'a b c d e f', 'x', 'one two three four five six seven eight nine ten'];
    const s = tokenLengthHistogram(texts, (t) => t.split(' ').length + 2, { bins: 4, maxLength: 8 });
    expect(s.max).toBe(12);
    expect(s.mean).toBe((4 + 8 + 3 + 12) / 4);
    expect(s.overMax).toBe(1);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(s.p95).toBe(12);
    expect(tokenLengthHistogram(['ab'], (t) => [...t].map((c) => c.charCodeAt(0))).max).toBe(2);
  });

  it('fingerprints rows without containing any text, stable across formatting', async () => {
    const a = (await loadDataset('text,score\nsecret words,0.5\nother,-0.25\n')).dataset!;
    const b = (await loadDataset('\uFEFFtext;score\r\n"secret words";0,5\r\nother;-0.25\r\n')).dataset!;
    const c = (await loadDataset('text,score\nsecret word,0.5\nother,-0.25\n')).dataset!;
    const fa = await datasetFingerprint(a);
    expect(fa.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await datasetFingerprint(b)).sha256).toBe(fa.sha256);
    expect((await datasetFingerprint(c)).sha256).not.toBe(fa.sha256);
    expect(fa).toMatchObject({ rows: 2, task: 'score', score: { mean: 0.125, min: -0.25, max: 0.5 } });
    expect(fa.score!.sd).toBeCloseTo(0.375, 12);
    expect(fa.classes!.names).toHaveLength(5);
    expect(JSON.stringify(fa)).not.toMatch(/secret|other/);
    const l = (await loadDataset('text,label\nx,pos\ny,neg\nz,pos\n')).dataset!;
    const fl = await datasetFingerprint(l);
    expect(fl.classes).toEqual({ names: ['neg', 'pos'], counts: [1, 2] });
    expect((await datasetFingerprint(dropRows(l, [2]))).sha256).not.toBe(fl.sha256);
  });
});
