/**
 * The lab's shared words, each defined once: metric names and whether lower or higher is better, the
 * states a trial passes through (in storage, in the search engine, in a results document), and the five
 * classes derived from a score. Everything from the data parser to the Results page and the exported
 * Ray Tune script reads them from here.
 */

// ------------------------------------------------------------------------------------------- metrics

/** Metrics of a score (regression) head, as scikit-learn defines them. */
export const SCORE_METRICS = ['mse', 'mae', 'rmse', 'r2'] as const;
/** Metrics of a classification head: accuracy, weighted precision/recall/F1, and macro F1. */
export const CLASS_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'f1_macro'] as const;
/** Every validation metric, in the order tables and exports list them. */
export const METRIC_NAMES = [...SCORE_METRICS, ...CLASS_METRICS] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** The metrics a user can pick as the search objective, in the order the Search page lists them. */
export const OBJECTIVE_METRICS = ['mse', 'mae', 'rmse', 'r2', 'accuracy', 'f1', 'precision', 'recall'] as const satisfies readonly MetricName[];
export type ObjectiveMetric = (typeof OBJECTIVE_METRICS)[number];

export type Direction = 'min' | 'max';

/** Names a search or a results file may use besides the lab's own metrics, with their direction. */
const LOWER_IS_BETTER: readonly string[] = ['mse', 'mae', 'rmse', 'loss'];
const HIGHER_IS_BETTER: readonly string[] = ['r2', ...CLASS_METRICS, 'acc', 'pearson', 'spearman'];

export function isScoreMetric(metric: string): boolean {
  return (SCORE_METRICS as readonly string[]).includes(metric);
}

export function isClassMetric(metric: string): boolean {
  return (CLASS_METRICS as readonly string[]).includes(metric);
}

/**
 * Whether a metric is minimised or maximised, from its name. Prefixes such as `val_` / `eval.` are ignored
 * (`val_mse` → min). Unknown names throw, so a typo never silently flips the search.
 */
export function metricDirection(metric: string): Direction {
  const base = metric
    .trim()
    .toLowerCase()
    .replace(/^(val|valid|validation|eval|test)[_.\-/]/, '')
    .replace(/^macro[_.\-]?|^micro[_.\-]?|^weighted[_.\-]?/, '');
  if (LOWER_IS_BETTER.includes(base) || base.endsWith('loss')) return 'min';
  if (HIGHER_IS_BETTER.includes(base)) return 'max';
  throw new Error(
    `unknown metric '${metric}': say whether lower or higher is better (known lower-is-better: ${LOWER_IS_BETTER.join(', ')}; higher-is-better: ${HIGHER_IS_BETTER.join(', ')})`,
  );
}

/** Whether `a` beats `b` in this direction (false when either is not a number). */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'min' ? a < b : a > b;
}

// ------------------------------------------------------------------------------------ trial states

/** A trial as stored in the browser while and after a run trains it. */
export const STORED_TRIAL_STATUSES = ['queued', 'running', 'done', 'failed', 'skipped', 'cancelled'] as const;
export type StoredTrialStatus = (typeof STORED_TRIAL_STATUSES)[number];

/** How the search engine's objective answered one evaluation. */
export type EvalStatus = 'ok' | 'failed' | 'skipped';

/**
 * A trial in a results document (share links, run files, Ray Tune results). Share links carry a trial's
 * status as its index in this list: links already out decode only while no name is renamed, dropped or moved.
 */
export const SHARED_TRIAL_STATUSES = ['done', 'pruned', 'failed', 'running', 'queued', 'skipped'] as const;
export type SharedTrialStatus = (typeof SHARED_TRIAL_STATUSES)[number];

/**
 * A stored trial's or an evaluation's state as a results document says it: a finished one is "done" at the
 * full number of epochs and "pruned" below it (a multi-fidelity scheduler stopped it early); a cancelled
 * one counts as failed.
 */
export function sharedTrialStatus(status: StoredTrialStatus | EvalStatus, epochs: number, maxEpochs: number): SharedTrialStatus {
  if (status === 'done' || status === 'ok') return epochs >= maxEpochs ? 'done' : 'pruned';
  if (status === 'cancelled') return 'failed';
  return status;
}

// ---------------------------------------------------------------------------------- derived classes

/** The five classes a score is cut into when a dataset has scores and no label column (the seed paper's). */
export const DERIVED_CLASS_NAMES = ['very negative', 'negative', 'neutral', 'positive', 'very positive'] as const;

/**
 * Cut points [t0, t1, t2, t3] (ascending) for the derived classes:
 * 0 if y < t0; 1 if t0 ≤ y < t1; 2 if t1 ≤ y ≤ t2; 3 if t2 < y ≤ t3; 4 if y > t3.
 * The middle class is closed on both sides, as in the paper (−0.049 ≤ y ≤ 0.049 is neutral).
 */
export type ScoreThresholds = readonly [number, number, number, number];
export const DERIVED_THRESHOLDS: ScoreThresholds = [-0.5, -0.049, 0.049, 0.5];

/** The derived class of a score; a score that is not a number has none and throws. */
export function deriveClass(y: number, t: ScoreThresholds = DERIVED_THRESHOLDS): number {
  if (!Number.isFinite(y)) throw new Error(`Cannot derive a class from score ${y}.`);
  if (y < t[0]) return 0;
  if (y < t[1]) return 1;
  if (y <= t[2]) return 2;
  if (y <= t[3]) return 3;
  return 4;
}
