/**
 * Summaries shown before a run (label / score distribution, token-length histogram) and the dataset
 * fingerprint that goes into share links: a SHA-256 of the normalised rows plus counts and label/score
 * statistics — it identifies the data without containing any text.
 */
import { DEFAULT_THRESHOLDS, DERIVED_CLASS_NAMES, scoreToClass, type ScoreThresholds } from './labels';
import { labelStats, sha256Hex } from '../share/fingerprint';
import type { DatasetFingerprint } from '../share/schema';
import type { Dataset, DataRow } from './types';

export interface Histogram {
  /** bins + 1 ascending edges; bin i counts values in [edges[i], edges[i+1]) (the last bin is closed). */
  edges: number[];
  counts: number[];
}

export function histogram(values: readonly number[], opts: { bins?: number; min?: number; max?: number } = {}): Histogram {
  const bins = opts.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`A histogram needs a whole number of bins ≥ 1 (got ${bins}).`);
  let lo = opts.min ?? Infinity;
  let hi = opts.max ?? -Infinity;
  if (opts.min === undefined || opts.max === undefined)
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      if (opts.min === undefined && v < lo) lo = v;
      if (opts.max === undefined && v > hi) hi = v;
    }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) lo = hi = 0;
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  edges[bins] = hi;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  return { edges, counts };
}

/** Scores of the rows, binned over the declared range (or the data's range). */
export function scoreHistogram(ds: Dataset, bins = 20): Histogram {
  const scores = ds.rows.map((r) => r.score).filter((s): s is number => s !== undefined && Number.isFinite(s));
  const [min, max] = ds.scoreRange ?? [undefined, undefined];
  return histogram(scores, { bins, min, max });
}

/** Count per label in vocabulary order (labels outside the vocabulary are not counted). */
export function labelCounts(ds: Dataset): { label: string; count: number }[] {
  const counts = new Map((ds.labels ?? []).map((l) => [l, 0]));
  for (const r of ds.rows) if (r.label !== undefined && counts.has(r.label)) counts.set(r.label, counts.get(r.label)! + 1);
  return [...counts].map(([label, count]) => ({ label, count }));
}

/** Count per derived 5-class label for score data (SPEC §2 thresholds unless given). */
export function derivedClassCounts(rows: readonly DataRow[], t: ScoreThresholds = DEFAULT_THRESHOLDS): number[] {
  const c = [0, 0, 0, 0, 0];
  for (const r of rows) if (r.score !== undefined && Number.isFinite(r.score)) c[scoreToClass(r.score, t)]++;
  return c;
}

export interface TokenLengthSummary extends Histogram {
  mean: number;
  p95: number;
  max: number;
  /** Rows longer than maxLength (they will be truncated, keeping </s>). */
  overMax: number;
  maxLength: number;
}

/**
 * Token lengths (with special tokens, as `tokenize` returns them) for the histogram and the "x rows will be
 * truncated" note. `tokenize` returns either the ids or their count.
 */
export function tokenLengthHistogram(
  texts: readonly string[],
  tokenize: (text: string) => number | ArrayLike<number>,
  opts: { bins?: number; maxLength?: number } = {},
): TokenLengthSummary {
  const maxLength = opts.maxLength ?? 512;
  const lens = texts.map((t) => {
    const r = tokenize(t);
    return typeof r === 'number' ? r : r.length;
  });
  const sorted = [...lens].sort((a, b) => a - b);
  const max = sorted.length ? sorted[sorted.length - 1] : 0;
  const h = histogram(lens, { bins: opts.bins ?? 20, min: 0, max: Math.max(max, 1) });
  return {
    ...h,
    mean: lens.length ? lens.reduce((a, b) => a + b, 0) / lens.length : 0,
    p95: sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] : 0,
    max,
    overMax: lens.filter((l) => l > maxLength).length,
    maxLength,
  };
}

/** The fingerprint is the share schema's: SHA-256 of the normalised rows, row count, label statistics. */
export type { DatasetFingerprint };

/** Rows as hashed: NFC text with \r\n → \n and outer whitespace trimmed, then score and label. */
function normalisedRows(ds: Dataset): string {
  const parts: string[] = [];
  for (const r of ds.rows) parts.push(JSON.stringify([r.text.normalize('NFC').replace(/\r\n?/g, '\n').trim(), r.score ?? null, r.label ?? null]));
  return parts.join('\n');
}

export async function datasetFingerprint(ds: Dataset): Promise<DatasetFingerprint> {
  const scores = ds.mapping.score ? ds.rows.map((r) => r.score!).filter((x) => Number.isFinite(x)) : undefined;
  const labels = ds.mapping.label ? (ds.labels ?? labelCounts(ds).map((c) => c.label)) : undefined;
  // Class statistics: the label column's classes, or the 5 classes derived from scores.
  const classes = labels
    ? { names: labels, ids: ds.rows.map((r) => labels.indexOf(r.label ?? '')) }
    : scores
      ? { names: [...DERIVED_CLASS_NAMES], ids: ds.rows.map((r) => scoreToClass(r.score ?? 0)) }
      : undefined;
  return { sha256: await sha256Hex(normalisedRows(ds)), rows: ds.rows.length, ...labelStats({ scores, classes }), task: ds.task };
}
