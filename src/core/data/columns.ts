/** Default column mapping detected from header names (and, for ambiguous names, the values), and the task kind. */
import { DataError, type ColumnMapping, type RawRecord, type TaskKind } from './types';

const TEXT = ['text', 'sentence', 'spans', 'span', 'tweet', 'content', 'review'];
const SCORE = ['score', 'sentiment', 'sentiment_score', 'polarity'];
const LABEL = ['label', 'class', 'labels', 'category', 'sentiment_label'];
const SPLIT = ['split', 'fold', 'subset', 'partition'];

const norm = (s: string) => s.trim().toLowerCase();

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
 */
export function detectMapping(header: readonly string[], records?: readonly RawRecord[]): Partial<ColumnMapping> {
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

export function detectTaskKind(mapping: Partial<ColumnMapping>): TaskKind {
  if (mapping.score && mapping.label) return 'both';
  if (mapping.score) return 'score';
  if (mapping.label) return 'label';
  throw new DataError('Map a score column (a number per row) or a label column (a class per row): the model needs something to learn.');
}

/** Checks a (user-edited) mapping against the header; throws a DataError naming the bad field. */
export function checkMapping(header: readonly string[], mapping: Partial<ColumnMapping>): ColumnMapping {
  const cols = `the columns are: ${header.map((h) => `"${h}"`).join(', ')}`;
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
