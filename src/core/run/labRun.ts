/**
 * The orchestrator of a search run inside the training worker: reads the run and its dataset from
 * IndexedDB, tokenizes and splits with the run's seed, runs the chosen strategy against real trainings,
 * and writes every event, trial, checkpoint and adapter back, so a reload resumes where it stopped
 * (finished trials are replayed from the stored history, the running one continues from its checkpoint).
 */
import * as tf from '@tensorflow/tfjs';
import type { LabDB, RunRecord, TrialRecord, EpochRecord } from '../store/db';
import { explainStorageError } from '../store/db';
import type { ModelSession } from './modelSession';
import type { RunSettings } from './settings';
import type { DataRow, RunMapping } from '../data/types';
import { runBaseline, splitTargets, trivialBaseline, type SplitTargets, type Target } from './baseline';
import { runToShareDoc, uniformBaseline } from './results';
import type { TestReport } from '../share/schema';
import { runSearch, costOf, expandGroups, type SearchEvent, type EvalRecord, type RankConfig } from '../search';
import type { Fidelity } from '../search/objective';
import { TrainingObjective, spaceForModel } from '../searchBridge/trainingObjective';
import { createTrainingHooks } from '../searchBridge/searchHooks';
import { contextFromSnapshot, deviceLostMessage, evaluateRows, isDeviceLost, type Row, type TrialData, type TrialSettings, type TrialResult } from '../train/trainer';
import type { RobertaModel } from '../model/roberta';


export type RunEvent =
  | { type: 'status'; status: RunRecord['status']; message?: string; fault?: RunFault['kind'] }
  | { type: 'trial-start'; trial: TrialRecord }
  | { type: 'step'; trialId: string; step: number; totalSteps: number; loss: number; epoch: number; tokens: number }
  | { type: 'epoch'; trialId: string; epoch: EpochRecord }
  | { type: 'trial-end'; trial: TrialRecord; best: EvalRecord | null }
  | { type: 'note'; message: string }
  | { type: 'memory'; numTensors: number; numBytes: number }
  | { type: 'done'; best: EvalRecord | null; evaluations: number; stopReason: string };

export interface LabRunEnv {
  db: LabDB;
  session: ModelSession;
  runId: string;
  signal: AbortSignal;
  onEvent: (e: RunEvent) => void;
  /** Why the signal was aborted: pause keeps the run resumable, cancel ends it. */
  abortReason?: () => 'pause' | 'cancel' | undefined;
  /** Settles when the GPU device the model lives on is lost (GPUDevice.lost); absent off WebGPU. */
  deviceLost?: Promise<unknown>;
}

/** Why a run paused by itself: nothing the user or the configuration did, and Resume continues it. */
export interface RunFault {
  kind: 'device-lost' | 'storage';
  message: string;
}

const ADAPTER_KEEP_BYTES = 16 * 2 ** 20;
const pad = (n: number) => String(n).padStart(6, '0');

export function trialId(runId: string, key: string, epochs: number): string {
  return `${runId}:${key}@${epochs}`;
}

/** The trials' rows plus the held-out test rows, which only the final scoring sees. */
export interface PreparedData extends TrialData {
  test: Row[];
  /** Max tokens per text: the dataset's (Data page), else the run's setting (older datasets). */
  maxLength: number;
  targets: SplitTargets;
}

/** The max length a run's texts are cut at: decided with the dataset on the Data page. */
export function runMaxLength(mapping: RunMapping, s: RunSettings): number {
  return mapping.maxLength ?? s.maxLength;
}

/** Tokenize and split the stored rows exactly as every trial of the run sees them (the dataset's split and max length). */
export function prepareTrialData(rows: DataRow[], mapping: RunMapping, s: RunSettings, session: ModelSession): PreparedData {
  const t = splitTargets(rows, mapping, s);
  const maxLength = runMaxLength(mapping, s);
  const toRow = (i: number, target: Target): Row => ({ ids: session.tokenizer.encode(rows[i].text, maxLength), ...target });
  return {
    train: t.trainIndex.map((i, k) => toRow(i, t.train[k])),
    val: t.valIndex.map((i, k) => toRow(i, t.val[k])),
    test: t.testIndex.map((i, k) => toRow(i, t.test[k])),
    numClasses: t.numClasses,
    derivedClasses: t.derivedClasses,
    classNames: t.classNames,
    maxLength,
    targets: t,
  };
}

/**
 * Score the search's choice on the test rows, once it has finished: the best configuration, the uniform one
 * the Results page compares it with, and the trivial baseline (fitted on the training rows). Uses the stored
 * adapters, so nothing is trained again and the test rows never influence a choice.
 */
export async function scoreTestRows(db: LabDB, runId: string, model: RobertaModel, prepared: PreparedData): Promise<TestReport | undefined> {
  if (!prepared.test.length) return undefined;
  const doc = await runToShareDoc(db, runId);
  const trials = await db.trials.where('runId').equals(runId).toArray();
  const metric = doc.settings.objective.metric;
  const report: TestReport = { rows: prepared.test.length };
  const notes: string[] = [];
  const score = async (config: string, metricValue: number | undefined): Promise<TestReport['best']> => {
    const done = trials.filter((t) => t.name === config && t.status === 'done');
    const rec = done.find((t) => t.metrics[metric] === metricValue) ?? done.at(-1);
    const snap = rec ? (await db.adapters.get(rec.id))?.snapshot : undefined;
    if (!snap) {
      notes.push(`${config} has no stored adapter (too large to keep), so it has no test metrics.`);
      return undefined;
    }
    const ctx = contextFromSnapshot(model, snap);
    try {
      return { config, metrics: numeric(await evaluateRows(ctx, prepared.test, prepared)) };
    } finally {
      ctx.lora.dispose();
      ctx.heads.dispose();
    }
  };
  if (doc.best) report.best = await score(doc.best.config, doc.best.metrics[metric]);
  const uniform = uniformBaseline(doc);
  if (uniform) report.uniform = uniform.config === report.best?.config ? report.best : await score(uniform.config, uniform.metrics[metric]);
  const t = prepared.targets;
  const trivial = trivialBaseline(t.train, t.test, t);
  if (trivial) report.trivial = trivial.metrics;
  if (notes.length) report.note = notes.join(' ');
  return report;
}

export function trialSettings(s: RunSettings, numLayers: number, baseModel: string, hasScore: boolean): TrialSettings {
  return {
    seed: s.seed,
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    weightDecay: s.weightDecay,
    warmupRatio: s.warmupRatio,
    clipNorm: s.clipNorm,
    lora: {
      targets: [...s.targets],
      ranks: new Array(numLayers).fill(0),
      // alpha per rank is resolved per trial (see alphasFor); a single alpha otherwise.
      alphas: s.loraAlpha,
      rslora: s.rslora,
      dropout: s.loraDropout,
    },
    regression: hasScore,
    lossMode: s.lossMode,
    regWeight: hasScore ? s.regWeight : 0,
    clsWeight: s.clsWeight,
    baseModel,
  };
}

export async function runLab(env: LabRunEnv): Promise<void> {
  const { db, session, runId, onEvent } = env;
  const run = await db.runs.get(runId);
  if (!run) throw new Error(`Run ${runId} is not in this browser's storage (was it deleted?).`);
  const dataset = await db.datasets.get(run.datasetId);
  if (!dataset) throw new Error('The dataset of this run was deleted, so it cannot resume. Start a new run with the data uploaded again.');
  const s = run.settings;
  const mapping = dataset.mapping;
  const model = session.model;
  const hasScore = mapping.task !== 'label';

  // The search stops on the user's pause/cancel or on a fault (lost device, failed write): a fault pauses the
  // run, so it is never recorded as a failed trial nor left "running".
  const stopper = new AbortController();
  const signal = stopper.signal;
  const onUserAbort = () => stopper.abort();
  if (env.signal.aborted) stopper.abort();
  else env.signal.addEventListener('abort', onUserAbort, { once: true });
  let fault: RunFault | undefined;
  const raise = (f: RunFault) => {
    fault ??= f;
    stopper.abort();
  };
  let lostDetail: string | undefined;
  env.deviceLost?.then(
    (info) => (lostDetail = (info as { message?: string; reason?: string } | undefined)?.message || (info as { reason?: string } | undefined)?.reason || 'GPUDevice.lost'),
    () => undefined,
  );
  const lostFault = (e?: unknown): RunFault | undefined => {
    if (lostDetail !== undefined) return { kind: 'device-lost', message: deviceLostMessage(lostDetail) };
    if (e !== undefined && isDeviceLost(e)) return { kind: 'device-lost', message: deviceLostMessage(e instanceof Error ? e.message : String(e)) };
    return undefined;
  };
  /** A write the run cannot go on without: its failure pauses the run (false) instead of losing it silently. */
  const save = async (what: string, write: () => Promise<unknown>): Promise<boolean> => {
    if (fault) return false;
    try {
      await write();
      return true;
    } catch (e) {
      raise({ kind: 'storage', message: explainStorageError(e, what) });
      return false;
    }
  };

  const setStatus = async (status: RunRecord['status'], extra: Partial<RunRecord> = {}) => {
    await db.runs.update(runId, { status, updatedAt: Date.now(), ...extra });
    onEvent({ type: 'status', status, message: extra.error, fault: extra.fault });
  };
  await setStatus('running', { backend: tf.getBackend(), error: undefined, fault: undefined });

  // The trial in progress (one at a time); per-step state for the UI and the trial row.
  let current: TrialRecord | undefined;
  let done: Extract<SearchEvent, { type: 'done' }> | undefined;
  let prepared: PreparedData | undefined;
  try {
    prepared = prepareTrialData(dataset.rows, mapping, s, session);
    // Only the training and validation rows go to the trials; the test rows wait for the final scoring.
    const data: TrialData = { train: prepared.train, val: prepared.val, numClasses: prepared.numClasses, derivedClasses: prepared.derivedClasses, classNames: prepared.classNames };
    // The constant predictors every trial must beat, on this very split (once per run; cheap, so a resumed
    // run simply writes the same values again).
    const baseline = runBaseline(dataset.rows, mapping, s);
    if (baseline) await save('the trivial baseline', () => db.runs.update(runId, { baseline }));
    const base = trialSettings(s, model.layers.length, session.info.id, hasScore);
    const space = spaceForModel(model, s.targets, { groups: s.groups, allowedRanks: s.allowedRanks });

    // History: every stored event, in order; finished evaluations are replayed, not re-trained.
    const stored = await db.events.where('runId').equals(runId).sortBy('seq');
    const history = stored.map((e) => e.event);
    let seq = stored.length;
    let best: EvalRecord | null = null;
    for (const ev of history) if (ev.type === 'eval') best = ev.best ?? best;

    let lastProgressAt = 0;
    const checkpointEvery = Math.max(1, Math.floor(Math.ceil(data.train.length / s.batchSize) / 4));

    const objective = new TrainingObjective({
      model,
      data,
      base,
      alphasFor: (ranks) => (s.alphaPerRank ? ranks.map((r) => Math.max(r, 1) * s.loraAlpha) : s.loraAlpha),
      async resumeFor(config: RankConfig, fidelity: Fidelity) {
        const id = trialId(runId, config.key, fidelity.epochs);
        const ck = await db.checkpoints.get(id);
        const prev = await db.trials.get(id);
        const index = (await db.trials.where('runId').equals(runId).count()) + (prev ? 0 : 1);
        current = prev ?? {
          id, runId, index, name: config.name, ranks: [...config.layers], groupRanks: [...config.groups], fidelity: fidelity.epochs,
          params: costOf(space, config.groups), status: 'running', metrics: {}, epochs: [], losses: [], timeMs: 0, startedAt: Date.now(),
        };
        current.status = 'running';
        if (ck) {
          // Keep what the checkpoint covers; later epochs/losses will be produced again, identically.
          const c = ck.data;
          current.epochs = current.epochs.filter((e) => e.epoch <= c.epochs.length);
          current.losses = current.losses.slice(0, c.step);
        } else {
          current.epochs = [];
          current.losses = [];
        }
        const trial = current;
        await save(`trial ${trial.name}`, () => db.trials.put(trial));
        onEvent({ type: 'trial-start', trial: { ...trial } });
        return ck?.data;
      },
      trialHooks: {
        checkpointEvery,
        deviceLost: env.deviceLost,
        onCheckpoint: async (c) => {
          const trial = current;
          if (!trial) return;
          // A failed write stops the trial at its next step; the previous checkpoint stays the one to resume from.
          if (await save(`the checkpoint of trial ${trial.name}`, () => db.checkpoints.put({ trialId: trial.id, runId, step: c.step, savedAt: Date.now(), data: c })))
            await save(`trial ${trial.name}`, () => db.trials.put({ ...trial }));
        },
        onStep: (p) => {
          if (!current) return;
          current.losses.push(p.loss);
          const now = Date.now();
          // Throttle what crosses to the UI: at most ~10 messages a second.
          if (now - lastProgressAt > 100 || p.step === p.totalSteps) {
            lastProgressAt = now;
            onEvent({ type: 'step', trialId: current.id, step: p.step, totalSteps: p.totalSteps, loss: p.loss, epoch: p.epoch, tokens: p.tokens });
            const m = tf.memory();
            onEvent({ type: 'memory', numTensors: m.numTensors, numBytes: m.numBytes });
          }
        },
        onEpoch: (e) => {
          if (!current) return;
          const rec: EpochRecord = { epoch: e.epoch, trainLoss: e.trainLoss, metrics: numeric(e.val), timeMs: e.ms };
          current.epochs.push(rec);
          onEvent({ type: 'epoch', trialId: current.id, epoch: rec });
        },
      },
      onTrial: async (_config: RankConfig, result: TrialResult) => {
        const trial = current;
        if (!trial) return;
        trial.timeMs = Math.round(result.timings.totalMs);
        if (result.status === 'failed') {
          // The device's lost promise can settle just after the read-back that failed because of it.
          if (!result.fault && env.deviceLost && lostDetail === undefined) await Promise.race([env.deviceLost, new Promise((r) => setTimeout(r, 100))]);
          const lost = result.fault === 'device-lost' ? { kind: 'device-lost' as const, message: result.reason ?? deviceLostMessage('unknown') } : lostFault();
          // Not the configuration's failure: pause before the engine records it; the checkpoint stays.
          if (lost) return raise(lost);
        }
        if (result.status === 'completed' && result.adapter) {
          const adapter = result.adapter;
          const bytes = Object.values(adapter.lora).reduce((a, { A, B }) => a + 4 * (A.data.length + B.data.length), 0);
          if (bytes <= ADAPTER_KEEP_BYTES) await save(`the adapter of trial ${trial.name}`, () => db.adapters.put({ trialId: trial.id, runId, snapshot: adapter }));
        }
      },
    });

    const hooks = createTrainingHooks({ model, data, base });
    for await (const ev of runSearch({
      space,
      objective,
      strategy: s.strategy,
      metric: s.metric,
      seed: s.seed,
      budget: s.budget ?? Infinity,
      maxEvals: s.maxEvals,
      maxEpochs: s.epochs,
      hooks,
      history,
      signal,
    })) {
      if (ev.type === 'done') {
        done = ev;
        break;
      }
      if (!(await save('the search history', () => db.events.put({ id: `${runId}:${pad(seq)}`, runId, seq, event: ev })))) break;
      seq++;
      if (ev.type === 'note') onEvent({ type: 'note', message: ev.message });
      if (ev.type === 'eval') {
        best = ev.best;
        const r = ev.record;
        const id = trialId(runId, r.key, r.epochs);
        // The in-memory record has the latest epochs, losses and time; the stored one may lag behind it.
        const prev = current?.id === id ? current : await db.trials.get(id);
        const trial: TrialRecord = {
          ...(prev ?? { losses: [], epochs: [], timeMs: 0, startedAt: Date.now(), ranks: [], runId, id }),
          id, runId, index: r.index, name: r.name, groupRanks: r.groups, fidelity: r.epochs, params: r.params,
          ranks: prev?.ranks?.length ? prev.ranks : expandGroups(space, r.groups),
          status: r.status === 'ok' ? 'done' : r.status, metrics: r.metrics, error: r.reason, finishedAt: Date.now(),
        };
        if (!(await save(`trial ${trial.name}`, () => db.trials.put(trial)))) break;
        current = undefined;
        // Only once the evaluation is in the history is the checkpoint of no further use.
        if (!(await save(`trial ${trial.name}`, () => db.checkpoints.delete(id)))) break;
        if (!(await save('the run', () => db.runs.update(runId, { best: best ? { name: best.name, metrics: best.metrics } : undefined, updatedAt: Date.now() })))) break;
        onEvent({ type: 'trial-end', trial, best });
      }
    }
  } catch (e) {
    // A lost device makes whatever runs next throw (a probe, the split's baseline): that is a pause too.
    const lost = lostFault(e);
    if (lost) raise(lost);
    else if (!signal.aborted) {
      await stopAs('failed', { error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
  } finally {
    env.signal.removeEventListener('abort', onUserAbort);
  }
  if (signal.aborted) {
    const why = fault ? 'pause' : (env.abortReason?.() ?? 'pause');
    if (why === 'cancel') {
      // A cancelled run never resumes: its unfinished trial says so, and its checkpoints go.
      const open = current;
      try {
        if (open) await db.trials.update(open.id, { status: 'cancelled', finishedAt: Date.now() });
        await db.checkpoints.where('runId').equals(runId).delete();
      } catch (e) {
        onEvent({ type: 'note', message: explainStorageError(e, 'the cancelled trial') });
      }
    }
    if (fault) onEvent({ type: 'note', message: fault.message });
    await stopAs(why === 'cancel' ? 'cancelled' : 'paused', fault ? { error: fault.message, fault: fault.kind } : {});
    return;
  }
  if (prepared?.test.length) {
    onEvent({ type: 'note', message: `Scoring the best and the uniform configuration on the ${prepared.test.length} test row${prepared.test.length === 1 ? '' : 's'}.` });
    try {
      const test = await scoreTestRows(db, runId, model, prepared);
      if (test) await db.runs.update(runId, { test });
    } catch (e) {
      onEvent({ type: 'note', message: `The test rows could not be scored: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  await stopAs('done', { best: done?.best ? { name: done.best.name, metrics: done.best.metrics } : undefined });
  onEvent({ type: 'done', best: done?.best ?? null, evaluations: done?.evaluations ?? 0, stopReason: done?.stopReason ?? 'finished' });

  /**
   * Record that the run stopped. With storage full even this small write can fail: the checkpoint of the
   * trial in progress (the largest item) is then given up so that the run is never left "running".
   */
  async function stopAs(status: RunRecord['status'], extra: Partial<RunRecord>): Promise<void> {
    try {
      return await setStatus(status, extra);
    } catch (e) {
      const open = current;
      try {
        if (open) await db.checkpoints.delete(open.id);
        const error = `${extra.error ?? explainStorageError(e, 'the run\'s status')} The checkpoint of the trial in progress was dropped to make room for that.`;
        return await setStatus(status, { ...extra, error, fault: extra.fault ?? 'storage' });
      } catch (e2) {
        // Nothing could be written: the stored run says "running" with no tab holding it, which the UI
        // shows as interrupted (resumable); this tab at least says why.
        onEvent({ type: 'status', status, message: explainStorageError(e2, 'the run\'s status'), fault: 'storage' });
      }
    }
  }
}

function numeric(m: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
