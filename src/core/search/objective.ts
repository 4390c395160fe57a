/**
 * The objective interface every strategy works against: real trainings in the browser, synthetic landscapes
 * in tests and benchmarks, or a replay table of past results. An objective is any object with `evaluate`.
 */
import type { RankConfig } from './space';
import type { Direction } from '../vocabulary';

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

/** Map a metric value to a "lower is better" score. */
export function toLoss(value: number, direction: Direction): number {
  return direction === 'min' ? value : -value;
}
