/**
 * A run as a results document (the share schema): the one shape the results page renders, whether the
 * run is local (IndexedDB) or arrived as a share link. Never carries dataset text.
 */
import type { LabDB, RunRecord, TrialRecord } from '../store/db';
import type { RunSettings } from './settings';
import { loraParamCount, targetShapes } from '../model/shape';
import { contiguousGroups } from '../search/space';
import { metricDirection, sharedTrialStatus } from '../vocabulary';
import {
  pickBest, shareDocSchema, datasetSchema, formatIssues, trivialBaselineSchema, testReportSchema, SHARE_SCHEMA_VERSION, type ShareDoc, type ShareTrial, type TrivialBaseline,
} from '../share/schema';
import { shareTrial } from '../share/fromSearch';
import { runBaseline } from './baseline';
import type { DataRow, RunMapping } from '../data/types';
import { TEXT_RULES, cleanName } from '../data/textRules';

function trialToShare(t: TrialRecord, maxEpochs: number, metric: string): ShareTrial {
  return shareTrial({
    groups: t.groupRanks,
    params: t.params,
    metrics: t.metrics,
    status: sharedTrialStatus(t.status, t.fidelity, maxEpochs),
    epochs: t.fidelity,
    timeMs: t.timeMs,
    curve: t.epochs.map((e) => e.metrics[metric]).filter((v): v is number => Number.isFinite(v)),
  });
}

export async function runToShareDoc(db: LabDB, runId: string): Promise<ShareDoc> {
  const run = await db.runs.get(runId);
  if (!run) throw new Error('This run is no longer in browser storage.');
  const ds = await db.datasets.get(run.datasetId);
  if (!ds) throw new Error('The dataset of this run was deleted; its results cannot be summarised.');
  // Written by the data worker when the dataset was saved (text-free: hash, row count, label statistics).
  const fingerprint = datasetSchema.safeParse(cleanFingerprint(ds.fingerprint));
  if (!fingerprint.success) throw new Error(`The stored dataset has no valid fingerprint (${formatIssues(fingerprint.error)}); upload it again.`);
  const s = run.settings;
  const model = run.model ?? { layers: 1, hidden: 1, intermediate: 1 };
  const trials = (await db.trials.where('runId').equals(runId).sortBy('index')).map((t) => trialToShare(t, s.epochs, s.metric));
  const direction = metricDirection(s.metric);
  const best = pickBest(trials, { metric: s.metric, direction });
  const doc: ShareDoc = {
    schemaVersion: SHARE_SCHEMA_VERSION,
    title: cleanName(run.name),
    createdAt: new Date(run.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    model: { id: run.modelId, ...model },
    dataset: fingerprint.data,
    settings: {
      strategy: s.strategy,
      rankChoices: [...s.allowedRanks],
      groups: contiguousGroups(model.layers, s.groups).map((g) => g.end - g.start),
      // No budget: the largest allowed rank in every layer is the most any configuration can cost.
      budget: s.budget ?? loraParamCount(new Array<number>(model.layers).fill(Math.max(...s.allowedRanks)), targetShapes(s.targets, model)),
      targets: [...s.targets],
      epochs: s.epochs,
      lr: s.lr,
      batchSize: s.batchSize,
      maxLength: s.maxLength,
      lossWeights: { mode: s.lossMode, regression: s.regWeight, classification: s.clsWeight },
      seed: s.seed,
      objective: { metric: s.metric, direction },
      lora: { alpha: s.loraAlpha, alphaPerRank: s.alphaPerRank, dropout: s.loraDropout, rslora: s.rslora },
    },
    trials,
    best: best ? { config: best.config, ranks: [...best.ranks], metrics: best.metrics } : null,
  };
  const baseline = storedBaseline(run, ds.rows, ds.mapping, s);
  if (baseline) doc.baseline = baseline;
  const test = testReportSchema.safeParse(run.test);
  if (run.test !== undefined && test.success) doc.test = test.data;
  const check = shareDocSchema.safeParse(doc);
  if (!check.success) throw new Error(`Could not summarise this run: ${formatIssues(check.error)}`);
  return check.data;
}

/**
 * Datasets stored before upload applied the class rules may carry class names the results cannot show:
 * cleaned the same way as names, and class statistics left out beyond the class limit, so that every run
 * that trained opens its results.
 */
function cleanFingerprint(f: unknown): unknown {
  const c = (f as { classes?: { names?: unknown; counts?: unknown } } | undefined)?.classes;
  if (!c || !Array.isArray(c.names)) return f;
  const { classes: _drop, ...rest } = f as Record<string, unknown>;
  if (c.names.length > TEXT_RULES.maxClasses) return rest;
  return { ...rest, classes: { ...c, names: c.names.map((n) => (typeof n === 'string' ? cleanName(n, TEXT_RULES.maxClassName, '?') : n)) } };
}

/** The run's trivial baseline: as stored when it started, or (runs stored before it was recorded) computed
 *  now from its dataset and settings, on the same seeded split. Undefined when neither works. */
function storedBaseline(run: RunRecord, rows: DataRow[] | undefined, mapping: RunMapping | undefined, s: RunSettings): TrivialBaseline | undefined {
  let b: unknown = run.baseline;
  if (b === undefined && rows?.length && mapping) {
    try {
      b = runBaseline(rows, mapping, { seed: s.seed, valFraction: s.valFraction, multitask: s.multitask });
    } catch {
      return undefined; // e.g. a split column without values: no baseline rather than no results
    }
  }
  const parsed = trivialBaselineSchema.safeParse(b);
  return parsed.success ? parsed.data : undefined;
}

/** The uniform configuration (all groups equal) to compare the best with: the best-scoring uniform trial
 *  with at least the best's parameter count, or the largest uniform trial when none is that large. */
export function uniformBaseline(doc: ShareDoc): ShareTrial | null {
  if (!doc.best) return null;
  const { metric, direction } = doc.settings.objective;
  const bestParams = doc.trials.find((t) => t.config === doc.best!.config)?.params ?? 0;
  const uniform = doc.trials.filter((t) => t.status === 'done' && Number.isFinite(t.metrics[metric]) && t.ranks.every((r) => r === t.ranks[0]));
  const atLeast = uniform.filter((t) => t.params >= bestParams);
  const pool = atLeast.length ? atLeast : uniform;
  if (!pool.length) return null;
  return pickBest(pool, { metric, direction });
}
