/** Adapters from the search engine's and the store's trial records to results-document trials. */
import type { EvalRecord } from '../search/types';
import { sharedTrialStatus, type SharedTrialStatus } from '../vocabulary';
import { configName, LIMITS, metricName, type ShareTrial } from './schema';

/** What a results document says of one trial, from whichever record it came. */
export interface TrialFacts {
  groups: readonly number[];
  params: number;
  metrics: Record<string, number>;
  status: SharedTrialStatus;
  epochs: number;
  timeMs?: number;
  /** Objective value after each epoch. */
  curve?: number[];
}

/** One trial of a results document; metrics that are not finite or not valid names are dropped. */
export function shareTrial(t: TrialFacts): ShareTrial {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(t.metrics)) {
    if (Object.keys(metrics).length >= LIMITS.maxMetrics) break;
    if (Number.isFinite(v) && metricName.safeParse(k).success) metrics[k] = v;
  }
  const curve = t.curve?.filter(Number.isFinite).slice(0, LIMITS.maxCurve);
  return {
    config: configName(t.groups),
    ranks: [...t.groups],
    params: t.params,
    metrics,
    status: t.status,
    timeMs: Math.max(0, t.timeMs ?? 0),
    epochs: t.epochs,
    ...(curve && curve.length ? { curve } : {}),
  };
}

/** One search evaluation as a shared trial ("done" at full fidelity, "pruned" below it). */
export function trialFromEvalRecord(r: EvalRecord, timeMs = 0, curve?: number[]): ShareTrial {
  const status = sharedTrialStatus(r.status, r.epochs, r.maxEpochs);
  return shareTrial({ groups: r.groups, params: r.params, metrics: r.metrics, status, epochs: r.epochs, timeMs, curve });
}
