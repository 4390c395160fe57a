/**
 * Summaries shown before a run: the label / score distribution, the classes derived from scores and the
 * token-length histogram.
 */
import { deriveClass, DERIVED_THRESHOLDS, type ScoreThresholds } from '../vocabulary';
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

/** Count per derived 5-class label for score data (the seed paper's thresholds unless given). */
export function derivedClassCounts(rows: readonly DataRow[], t: ScoreThresholds = DERIVED_THRESHOLDS): number[] {
  const c = [0, 0, 0, 0, 0];
  for (const r of rows) if (r.score !== undefined && Number.isFinite(r.score)) c[deriveClass(r.score, t)]++;
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
