/**
 * Class labels: checked thresholds for the classes derived from a score (the rule itself is in
 * core/vocabulary), and the vocabulary that turns written labels (strings or integers) into class ids.
 */
import { deriveClass, DERIVED_THRESHOLDS, type ScoreThresholds } from '../vocabulary';

/** A message when the thresholds cannot be used, else null (for the settings form). */
export function checkThresholds(t: readonly number[]): string | null {
  if (t.length !== 4) return `Give exactly 4 thresholds (got ${t.length}).`;
  if (!t.every((x) => Number.isFinite(x))) return 'Every threshold must be a number.';
  for (let i = 1; i < 4; i++) if (!(t[i] > t[i - 1])) return `Thresholds must increase: ${t[i - 1]} is not below ${t[i]}.`;
  return null;
}

/** The derived class of every score, after checking the thresholds (a message naming what is wrong). */
export function deriveClasses(scores: readonly number[], t: ScoreThresholds = DERIVED_THRESHOLDS): number[] {
  const msg = checkThresholds(t);
  if (msg) throw new Error(msg);
  return scores.map((y) => deriveClass(y, t));
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
