/** Adapters from the search engine's records to results-document trials. */
import type { EvalRecord } from '../search/types';
import { LIMITS, metricName, type ShareTrial } from './schema';

/**
 * One search evaluation as a shared trial. `ok` becomes "done" at full fidelity and "pruned" below it (a
 * multi-fidelity scheduler stopped it early); metrics that are not finite or not valid names are dropped.
 */
export function trialFromEvalRecord(r: EvalRecord, timeMs = 0, curve?: number[]): ShareTrial {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.metrics)) {
    if (Object.keys(metrics).length >= LIMITS.maxMetrics) break;
    if (Number.isFinite(v) && metricName.safeParse(k).success) metrics[k] = v;
  }
  const status: ShareTrial['status'] = r.status === 'ok' ? (r.epochs >= r.maxEpochs ? 'done' : 'pruned') : r.status;
  return {
    config: r.groups.join('@'),
    ranks: [...r.groups],
    params: r.params,
    metrics,
    status,
    timeMs: Math.max(0, timeMs),
    epochs: r.epochs,
    ...(curve && curve.length ? { curve: curve.filter(Number.isFinite).slice(0, LIMITS.maxCurve) } : {}),
  };
}
