/**
 * The objective interface every strategy works against: real trainings in the browser, synthetic landscapes
 * in tests and benchmarks, or a replay table of past results. An objective is any object with `evaluate`.
 */
import type { RankConfig } from './space';

/** How much training an evaluation gets: `epochs` out of the full `maxEpochs` (multi-fidelity strategies). */
export interface Fidelity {
  epochs: number;
  maxEpochs: number;
}

export type EvalResult =
  | {
      status: 'ok';
      /** e.g. { mse: 0.0187, r2: 0.62 }: the strategy ranks by the one metric chosen for the search. */
      metrics: Record<string, number>;
      /** Anything else worth recording (duration, checkpoint id...). Must be JSON-serialisable. */
      info?: Record<string, unknown>;
    }
  | {
      /** failed: the evaluation was attempted and broke; skipped: it could not be run (e.g. not in a table). */
      status: 'failed' | 'skipped';
      reason: string;
      metrics?: Record<string, number>;
      info?: Record<string, unknown>;
    };

export interface Objective {
  evaluate(config: RankConfig, fidelity: Fidelity, signal?: AbortSignal): Promise<EvalResult>;
}

export type Direction = 'min' | 'max';

const LOWER_IS_BETTER = ['mse', 'mae', 'rmse', 'loss'];
const HIGHER_IS_BETTER = ['r2', 'accuracy', 'acc', 'f1', 'f1_macro', 'precision', 'recall', 'pearson', 'spearman'];

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

/** Map a metric value to a "lower is better" score. */
export function toLoss(value: number, direction: Direction): number {
  return direction === 'min' ? value : -value;
}

export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'min' ? a < b : a > b;
}
