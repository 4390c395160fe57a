/** Default column mapping detected from header names (and, for ambiguous names, the values), and the task kind. */
import { listColumns } from './textRules';
import { DataError, type ColumnMapping, type RawRecord, type TaskKind } from './types';

const TEXT = ['text', 'sentence', 'spans', 'span', 'tweet', 'content', 'review'];
const SCORE = ['score', 'sentiment', 'sentiment_score', 'polarity'];
const LABEL = ['label', 'class', 'labels', 'category', 'sentiment_label'];
const SPLIT = ['split', 'fold', 'subset', 'partition'];

const norm = (s: string) => s.trim().toLowerCase();
const KNOWN = new Set([...TEXT, ...SCORE, ...LABEL, ...SPLIT, 'id']);

/** A usual column name (text, sentence, score, label, class, split, id, …), for the header heuristic. */
export function isKnownColumnName(name: string): boolean {
  return KNOWN.has(norm(name));
}

function numericShare(records: readonly RawRecord[] | undefined, col: number): number {
  if (!records || records.length === 0) return 1;
  const sample = records.slice(0, 200);
  let num = 0;
  let seen = 0;
  for (const r of sample) {
    const v = r.values[col]?.trim();
    if (!v) continue;
    seen++;
    if (Number.isFinite(Number(v)) || /^[+-]?\d+,\d+$/.test(v)) num++; // a decimal comma counts as a number here
  }
  return seen === 0 ? 1 : num / seen;
}

/**
 * Default mapping: text ← text|sentence|spans…, score ← score|sentiment…, label ← label|class…,
 * split ← split|fold…. A "sentiment" column whose values are mostly not numbers is taken as the label.
 * With `byContent` (a file without a header row, whose columns are only numbered) the roles come from the
 * values instead: see detectMappingByContent.
 */
export function detectMapping(header: readonly string[], records?: readonly RawRecord[], opts: { byContent?: boolean } = {}): Partial<ColumnMapping> {
  if (opts.byContent) return detectMappingByContent(header, records ?? []);
  const names = header.map(norm);
  const find = (cands: string[], taken: Set<number>) => {
    for (const c of cands) {
      const i = names.indexOf(c);
      if (i >= 0 && !taken.has(i)) return i;
    }
    return -1;
  };
  const taken = new Set<number>();
  const out: Partial<ColumnMapping> = {};
  const t = find(TEXT, taken);
  if (t >= 0) {
    out.text = header[t];
    taken.add(t);
  }
  const l = find(LABEL, taken);
  if (l >= 0) {
    out.label = header[l];
    taken.add(l);
  }
  const s = find(SCORE, taken);
  if (s >= 0) {
    if (numericShare(records, s) >= 0.5) out.score = header[s];
    else if (!out.label) out.label = header[s];
    taken.add(s);
  }
  const sp = find(SPLIT, taken);
  if (sp >= 0) out.split = header[sp];
  return out;
}

const INTEGER = /^[+-]?\d+$/;

/**
 * Roles from the values (first 200 rows), for columns without names: text ← the column with the longest
 * values on average (that is not mostly numbers); score ← a column of ≥ 90 % numbers that are not all
 * whole numbers; label ← a column of short values (≤ 30 characters on average) with ≤ 50 distinct values
 * and fewer distinct values than half its rows (a column of a few whole numbers, e.g. 0/1/2, is a label).
 */
export function detectMappingByContent(header: readonly string[], records: readonly RawRecord[]): Partial<ColumnMapping> {
  const sample = records.slice(0, 200);
  const cols = header.map((name, c) => {
    const vals = sample.map((r) => (r.values[c] ?? '').trim()).filter((v) => v !== '');
    const numeric = numericShare(sample, c);
    const distinct = new Set(vals).size;
    const meanLen = vals.length ? vals.reduce((a, v) => a + v.length, 0) / vals.length : 0;
    const integers = vals.length > 0 && vals.every((v) => INTEGER.test(v));
    return { name, numeric, distinct, meanLen, integers, n: vals.length };
  });
  const out: Partial<ColumnMapping> = {};
  const labelLike = (c: (typeof cols)[number]) => c.n > 0 && c.distinct <= 50 && c.distinct < Math.max(2, c.n / 2) && c.meanLen <= 30;
  const text = cols.filter((c) => c.n > 0 && c.numeric < 0.9 && !labelLike(c)).sort((a, b) => b.meanLen - a.meanLen)[0];
  if (text) out.text = text.name;
  const score = cols.find((c) => c !== text && c.n > 0 && c.numeric >= 0.9 && !(c.integers && labelLike(c)));
  if (score) out.score = score.name;
  const label = cols.find((c) => c !== text && c !== score && labelLike(c));
  if (label) out.label = label.name;
  return out;
}

export function detectTaskKind(mapping: Partial<ColumnMapping>): TaskKind {
  if (mapping.score && mapping.label) return 'both';
  if (mapping.score) return 'score';
  if (mapping.label) return 'label';
  throw new DataError('Map a score column (a number per row) or a label column (a class per row): the model needs something to learn.');
}

/** Checks a (user-edited) mapping against the header; throws a DataError naming the bad field. */
export function checkMapping(header: readonly string[], mapping: Partial<ColumnMapping>): ColumnMapping {
  const cols = `the columns are: ${listColumns(header)}`;
  if (!mapping.text) throw new DataError(`Choose the text column (no column is named text, sentence or spans; ${cols}).`);
  detectTaskKind(mapping);
  const used = new Map<string, string>();
  for (const role of ['text', 'score', 'label', 'split'] as const) {
    const c = mapping[role];
    if (c === undefined) continue;
    if (!header.includes(c)) throw new DataError(`The ${role} column "${c}" is not in the file; ${cols}.`);
    if (used.has(c)) throw new DataError(`Column "${c}" is mapped as both ${used.get(c)} and ${role}.`);
    used.set(c, role);
  }
  return mapping as ColumnMapping;
}
