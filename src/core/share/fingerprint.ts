/**
 * Dataset fingerprint for results documents: SHA-256 of the file bytes, row count and label statistics.
 * Never any text from the rows (class names are labels, bounded by the schema).
 * Uses Web Crypto (browser, worker and Node ≥ 20 all have `crypto.subtle`).
 */
import type { DatasetFingerprint } from './schema';

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

export async function datasetFingerprint(fileBytes: Uint8Array | string, rows: number, cols: LabelColumns): Promise<DatasetFingerprint> {
  return { sha256: await sha256Hex(fileBytes), rows, ...labelStats(cols) };
}
