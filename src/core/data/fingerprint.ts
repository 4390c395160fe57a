/**
 * The dataset fingerprint that results documents and share links carry: a SHA-256 of the normalised rows,
 * the row count and label/score statistics. It identifies the data without containing any text (class
 * names are labels, bounded by the text rules). The share schema validates it as it arrives from elsewhere.
 * Uses Web Crypto (browser, worker and Node ≥ 20 all have `crypto.subtle`).
 */
import { deriveClass, DERIVED_CLASS_NAMES } from '../vocabulary';
import { labelCounts } from './stats';
import type { Dataset, TaskKind } from './types';

export interface DatasetFingerprint {
  sha256: string;
  rows: number;
  task: TaskKind;
  /** Score statistics; the histogram counts over equal-width bins spanning [min, max]. */
  score?: { mean: number; sd: number; min: number; max: number; histogram: number[] };
  /** Class names (class id = index) and how many rows each has. */
  classes?: { names: string[]; counts: number[] };
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface LabelColumns {
  /** Scores of the rows (score task). */
  scores?: readonly number[];
  /** Class index of each row (label task, or classes derived from scores), with the class names. */
  classes?: { names: readonly string[]; ids: readonly number[] };
  /** Histogram bins over [min, max] (default 20). */
  bins?: number;
}

export function labelStats(cols: LabelColumns): Pick<DatasetFingerprint, 'task' | 'score' | 'classes'> {
  const out: Pick<DatasetFingerprint, 'task' | 'score' | 'classes'> = {
    task: cols.scores && cols.classes ? 'both' : cols.scores ? 'score' : 'label',
  };
  const ys = cols.scores;
  if (ys && ys.length) {
    const n = ys.length;
    let mean = 0, min = Infinity, max = -Infinity;
    for (const y of ys) {
      mean += y / n;
      if (y < min) min = y;
      if (y > max) max = y;
    }
    let v = 0;
    for (const y of ys) v += (y - mean) ** 2 / n;
    const bins = cols.bins ?? 20;
    const histogram = new Array<number>(bins).fill(0);
    const w = max - min || 1;
    for (const y of ys) histogram[Math.min(bins - 1, Math.floor(((y - min) / w) * bins))]++;
    out.score = { mean, sd: Math.sqrt(v), min, max, histogram };
  }
  if (cols.classes) {
    const counts = new Array<number>(cols.classes.names.length).fill(0);
    for (const id of cols.classes.ids) if (id >= 0 && id < counts.length) counts[id]++;
    out.classes = { names: [...cols.classes.names], counts };
  }
  return out;
}

/** Rows as hashed: NFC text with \r\n → \n and outer whitespace trimmed, then score and label. */
function normalisedRows(ds: Dataset): string {
  const parts: string[] = [];
  for (const r of ds.rows) parts.push(JSON.stringify([r.text.normalize('NFC').replace(/\r\n?/g, '\n').trim(), r.score ?? null, r.label ?? null]));
  return parts.join('\n');
}

/** The fingerprint of a mapped dataset, as the data worker stores it with the rows. */
export async function datasetFingerprint(ds: Dataset): Promise<DatasetFingerprint> {
  const scores = ds.mapping.score ? ds.rows.map((r) => r.score!).filter((x) => Number.isFinite(x)) : undefined;
  const labels = ds.mapping.label ? (ds.labels ?? labelCounts(ds).map((c) => c.label)) : undefined;
  // Class statistics: the label column's classes, or the 5 classes derived from scores.
  const classes = labels
    ? { names: labels, ids: ds.rows.map((r) => labels.indexOf(r.label ?? '')) }
    : scores
      ? { names: [...DERIVED_CLASS_NAMES], ids: ds.rows.map((r) => deriveClass(r.score ?? 0)) }
      : undefined;
  return { sha256: await sha256Hex(normalisedRows(ds)), rows: ds.rows.length, ...labelStats({ scores, classes }), task: ds.task };
}
