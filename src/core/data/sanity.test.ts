import { describe, expect, it } from 'vitest';
import { loadDataset } from './dataset';
import { parseTable } from './parse';
import {
  applyLabelFixes,
  dedupeRows,
  duplicateMessage,
  editDistance,
  findDuplicates,
  findRareClasses,
  labelColumnBlocker,
  suggestClass,
  tooManyClasses,
} from './sanity';
import { buildDataset, parseScore, usesDecimalComma } from './validate';
import type { DataRow } from './types';

describe('too many classes', () => {
  it('refuses a label column where most rows have a label of their own, naming the likely cause', () => {
    expect(tooManyClasses(701, 729, { column: 'label', readAs: 'comma-separated' })).toBe(
      '701 distinct labels in 729 rows of "label": this does not look like a label column — check the delimiter (the file was read as comma-separated) or choose another label column.',
    );
    expect(tooManyClasses(51, 100_000, { column: 'c' })).toMatch(/^51 distinct labels in 100,000 rows/);
    expect(tooManyClasses(50, 100_000, { column: 'c' })).toBeUndefined();
    expect(tooManyClasses(11, 50, { column: 'c' })).toMatch(/^11 distinct labels in 50 rows/);
    expect(tooManyClasses(11, 56, { column: 'c' })).toBeUndefined();
    expect(tooManyClasses(3, 12, { column: 'c' })).toBeUndefined();
    expect(tooManyClasses(200, 200, { column: 'y', numeric: true })).toMatch(/its values are numbers: map "y" as the score column instead\.$/);
  });

  it('checks a dataset with collected labels, not declared ones', async () => {
    const lines = ['text,label', ...Array.from({ length: 60 }, (_, i) => `row ${i},${(i / 100).toFixed(2)}`)];
    const t = await parseTable(lines.join('\n'));
    const ds = buildDataset(t, { text: 'text', label: 'label' });
    expect(labelColumnBlocker(ds, 'comma-separated')).toMatch(/^60 distinct labels in 60 rows of "label": .*map "label" as the score column instead/);
    const ok = buildDataset(await parseTable('text,label\na,x\nb,y\nc,x\n'), { text: 'text', label: 'label' });
    expect(labelColumnBlocker(ok)).toBeUndefined();
  });
});

describe('rare classes', () => {
  it('measures edits with transpositions', () => {
    expect(editDistance('postive', 'positive')).toBe(1);
    expect(editDistance('negaitve', 'negative')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the class a rare label was meant to be', () => {
    const classes = ['neutral', 'positive', 'negative', 'very positive'];
    expect(suggestClass('postive', classes)).toEqual({ label: 'positive', why: 'typo' });
    expect(suggestClass('Positive', classes)).toEqual({ label: 'positive', why: 'case' });
    expect(suggestClass('very_positive', classes)).toEqual({ label: 'very positive', why: 'spacing' });
    expect(suggestClass('nuetral', classes)).toEqual({ label: 'neutral', why: 'typo' });
    expect(suggestClass('bullish', classes)).toBeUndefined();
    // Too short to call a typo.
    expect(suggestClass('D', ['A', 'B'])).toBeUndefined();
  });

  it('lists classes with very few rows, by name, with a suggestion', () => {
    const counts = [
      { label: 'negative', count: 604 },
      { label: 'neutral', count: 2879 },
      { label: 'positive', count: 1363 },
      { label: 'postive', count: 1 },
      { label: 'other', count: 2 },
      { label: 'mixed', count: 40 },
    ];
    const rare = findRareClasses(counts, 4889);
    expect(rare.map((r) => r.message)).toEqual([
      'postive (1 row) looks like a typo of positive.',
      'other (2 rows) has very few rows for a class of its own; the model can hardly learn it.',
      'mixed (40 rows) has very few rows for a class of its own; the model can hardly learn it.',
    ]);
    expect(rare[0].suggestion).toEqual({ label: 'positive', why: 'typo' });
    // A tiny file is not judged: 2/1/2 rows are all "few", but none is rare next to the others.
    expect(findRareClasses([{ label: 'a', count: 2 }, { label: 'b', count: 1 }, { label: 'c', count: 2 }], 5)).toEqual([]);
  });

  it('merges, drops or keeps the rows of a class as chosen', async () => {
    const csv = ['text,label', ...Array.from({ length: 12 }, (_, i) => `t${i},${['positive', 'negative', 'neutral'][i % 3]}`), 'odd one,postive'].join('\n');
    const ds = buildDataset(await parseTable(csv), { text: 'text', label: 'label' });
    expect(ds.labels).toEqual(['negative', 'neutral', 'positive', 'postive']);
    const merged = applyLabelFixes(ds, { postive: { action: 'merge', into: 'positive' } });
    expect(merged.merged).toBe(1);
    expect(merged.ds.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(merged.ds.rows.at(-1)).toMatchObject({ line: 14, label: 'positive' });
    expect(ds.rows.at(-1)!.label).toBe('postive'); // the input is untouched
    const dropped = applyLabelFixes(ds, { postive: { action: 'drop' } });
    expect(dropped.dropped).toBe(1);
    expect(dropped.ds.rows).toHaveLength(12);
    expect(dropped.ds.dropped).toEqual([14]);
    expect(dropped.ds.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(applyLabelFixes(ds, { postive: { action: 'keep' } }).ds).toBe(ds);
    expect(() => applyLabelFixes(ds, { postive: { action: 'merge', into: 'bullish' } })).toThrow(/not another class/);
  });
});

describe('duplicates', () => {
  const row = (line: number, text: string, label = 'a'): DataRow => ({ line, text, label });

  it('counts rows that repeat an earlier text (white space and Unicode form aside) and conflicting ones', () => {
    const rows = [row(2, 'Shares up'), row(3, 'Shares  up '), row(4, 'Shares down'), row(5, 'Shares up', 'b'), row(6, 'Cafe\u0301'), row(7, 'Café')];
    const r = findDuplicates(rows);
    expect(r).toMatchObject({ repeats: 3, distinct: 3, conflicting: 1, maxCopies: 3, example: 'Shares up', lines: [3, 5, 7] });
    expect(duplicateMessage(r)).toBe(
      '3 rows repeat another row\'s text; 3 distinct texts ("Shares up" appears 3 times). A repeated text can land in both training and validation, which flatters the validation metric. 1 of them carries a different score or label than the first row with that text.',
    );
    expect(duplicateMessage(findDuplicates([row(2, 'x'), row(3, 'y')]))).toBeUndefined();
  });

  it('reports a file where every text appears 180 times, and keeps the first of each on request', async () => {
    const texts = Array.from({ length: 11 }, (_, i) => `Company ${i} reports results`);
    const lines = ['text,score'];
    for (let k = 0; k < 180; k++) for (const t of texts) lines.push(`${t},0.${k % 10}`);
    const { dataset } = await loadDataset(lines.join('\n'));
    const r = findDuplicates(dataset!.rows);
    expect(duplicateMessage(r)).toMatch(/^1,969 rows repeat another row's text; 11 distinct texts \("Company 0 reports results" appears 180 times\)/);
    const d = dedupeRows(dataset!);
    expect(d.dropped).toBe(1969);
    expect(d.ds.rows.map((x) => x.line)).toEqual(Array.from({ length: 11 }, (_, i) => i + 2));
    expect(findDuplicates(d.ds.rows).repeats).toBe(0);
  });
});

describe('decimal commas', () => {
  it('decides per column whether decimals are written with a comma', () => {
    expect(usesDecimalComma(['0,5', '-0,25', '1', ''])).toBe(true);
    expect(usesDecimalComma(['0,5', '0.25'])).toBe(false);
    expect(usesDecimalComma(['1', '0'])).toBe(false);
    expect(parseScore('-0,25', true)).toBe(-0.25);
    expect(parseScore('0.25', true)).toBe(0.25);
  });

  it('reads quoted "0,5" in a comma-separated file when the column uses decimal commas throughout', async () => {
    const { dataset } = await loadDataset('text,score\nup,"0,5"\ndown,"-0,25"\nflat,0\n');
    expect(dataset!.problems).toEqual([]);
    expect(dataset!.rows.map((r) => r.score)).toEqual([0.5, -0.25, 0]);
    expect(dataset!.decimalComma).toBe(true);
  });

  it('explains a decimal comma among decimal points, with the fix', async () => {
    const { dataset } = await loadDataset('text,score\nup,"0,5"\ndown,-0.25\n');
    expect(dataset!.problems).toEqual([
      expect.objectContaining({
        line: 2,
        kind: 'non-numeric-score',
        message: 'The score "0,5" uses a decimal comma, but other scores in this column use a decimal point; write 0.5 (or use a decimal comma in every row).',
      }),
    ]);
    expect(dataset!.decimalComma).toBeUndefined();
  });
});
