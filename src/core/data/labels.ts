/**
 * Class labels: the 5 classes derived from a continuous score (SPEC §2, the seed paper's thresholds,
 * editable) and the vocabulary that turns written labels (strings or integers) into class ids.
 */

/**
 * Cut points [t0, t1, t2, t3] (ascending) for the derived classes:
 * 0 if y < t0; 1 if t0 ≤ y < t1; 2 if t1 ≤ y ≤ t2; 3 if t2 < y ≤ t3; 4 if y > t3.
 * The middle class is closed on both sides, as in the paper (−0.049 ≤ y ≤ 0.049 is neutral).
 */
export type ScoreThresholds = [number, number, number, number];

export const DEFAULT_THRESHOLDS: ScoreThresholds = [-0.5, -0.049, 0.049, 0.5];
export const DERIVED_CLASS_NAMES = ['very negative', 'negative', 'neutral', 'positive', 'very positive'] as const;
export const DERIVED_NUM_CLASSES = 5;

/** A message when the thresholds cannot be used, else null (for the settings form). */
export function checkThresholds(t: readonly number[]): string | null {
  if (t.length !== 4) return `Give exactly 4 thresholds (got ${t.length}).`;
  if (!t.every((x) => Number.isFinite(x))) return 'Every threshold must be a number.';
  for (let i = 1; i < 4; i++) if (!(t[i] > t[i - 1])) return `Thresholds must increase: ${t[i - 1]} is not below ${t[i]}.`;
  return null;
}

export function scoreToClass(y: number, t: ScoreThresholds = DEFAULT_THRESHOLDS): number {
  if (y < t[0]) return 0;
  if (y < t[1]) return 1;
  if (y <= t[2]) return 2;
  if (y <= t[3]) return 3;
  return 4;
}

export function deriveClasses(scores: readonly number[], t: ScoreThresholds = DEFAULT_THRESHOLDS): number[] {
  const msg = checkThresholds(t);
  if (msg) throw new Error(msg);
  return scores.map((y) => scoreToClass(y, t));
}

export interface LabelVocabulary {
  /** Class names; class id = index. */
  classes: string[];
  index: Map<string, number>;
  /** True when every label is an integer (sorted numerically, so "2" < "10"). */
  numeric: boolean;
}

const INT = /^[+-]?\d+$/;

/**
 * Distinct labels sorted so the ids do not depend on row order: numerically when all are integers,
 * else by code point (locale-independent, so every browser gives the same ids).
 */
export function buildLabelVocabulary(values: Iterable<string | number>): LabelVocabulary {
  const set = new Set<string>();
  for (const v of values) set.add(String(v).trim());
  set.delete('');
  const all = [...set];
  const numeric = all.length > 0 && all.every((s) => INT.test(s));
  all.sort(numeric ? (a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { classes: all, index: new Map(all.map((c, i) => [c, i])), numeric };
}

/** Class ids of labels; throws naming the first label not in the vocabulary. */
export function encodeLabels(labels: readonly string[], vocab: LabelVocabulary): number[] {
  return labels.map((l, i) => {
    const id = vocab.index.get(l.trim());
    if (id === undefined) throw new Error(`Label "${l}" (row ${i + 1}) is not one of: ${vocab.classes.join(', ')}.`);
    return id;
  });
}
