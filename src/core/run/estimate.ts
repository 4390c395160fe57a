/**
 * Time before and during a run.
 *
 * - `calibrate`: a few real training steps of the largest configuration the search may try, on a seeded
 *   sample of the dataset's training rows, on the backend in use — the measured time per step.
 * - `runEstimate`: that step time × steps per trial × trials (an upper bound: max trials at full epochs).
 * - `estimateEta`: during a run, what is left, from the current trial's own steps (so trial 1 has an ETA)
 *   and the finished trials; the "at most" figure is never below remaining steps × measured step time.
 */
import type { ModelSession } from './modelSession';
import type { RunSettings } from './settings';
import type { DataRow, RunMapping } from '../data/types';
import { splitTargets } from './baseline';
import { runMaxLength, trialSettings } from './labRun';
import { runTrial, type Row } from '../train/trainer';
import { RootRng } from '../util/rng';

export interface Calibration {
  /** Measured wall time of one training step (batch of `batchSize`), after one warm-up step. */
  msPerStep: number;
  /** Rows per part of the dataset's split. */
  trainRows: number;
  valRows: number;
  backend: string;
  /** What the measurement depends on; a different key means it must be measured again. */
  key: string;
}

export interface RunEstimate {
  stepsPerTrial: number;
  trials: number;
  /** One trial: its steps plus validation (forward only, about a third of a step per batch of rows). */
  perTrialMs: number;
  /** Every trial at full epochs: the most the search can take. */
  totalMs: number;
}

/** The settings a step's cost depends on (plus the dataset and backend). */
export function calibrationKey(s: RunSettings, datasetId: string, backend: string): string {
  return JSON.stringify([datasetId, backend, s.batchSize, [...s.targets].sort(), Math.max(...s.allowedRanks), s.multitask]);
}

const CALIBRATION_STEPS = 3;

/** Time a few training steps of the most expensive allowed configuration (max rank in every layer). */
export async function calibrate(
  session: ModelSession,
  rows: DataRow[],
  mapping: RunMapping,
  s: RunSettings,
  ids: { datasetId: string; backend: string },
): Promise<Calibration> {
  const t = splitTargets(rows, mapping, s);
  const maxLength = runMaxLength(mapping, s);
  // A seeded sample of the training rows: their lengths (and so the padded batch size) are typical.
  const order = new RootRng(s.seed).fork('calibration').shuffle([...t.trainIndex.keys()]);
  const n = Math.min(order.length, s.batchSize * CALIBRATION_STEPS);
  const pick = (k: number): Row => ({ ids: session.tokenizer.encode(rows[t.trainIndex[k]].text, maxLength), ...t.train[k] });
  const train = order.slice(0, n).map(pick);
  const val = train.slice(0, 1);
  const hasScore = mapping.task !== 'label';
  const base = trialSettings(s, session.model.layers.length, session.info.id, hasScore);
  const rank = Math.max(...s.allowedRanks);
  const settings = { ...base, epochs: 1, batchSize: s.batchSize, lora: { ...base.lora, ranks: new Array(session.model.layers.length).fill(rank) } };
  const stamps: number[] = [];
  await runTrial(session.model, { train, val, numClasses: t.numClasses, derivedClasses: t.derivedClasses, classNames: t.classNames }, settings, {
    onStep: () => {
      stamps.push(performance.now());
    },
  });
  // The first step includes compiling the kernels: time the later ones (or the only one, if the sample is one batch).
  const msPerStep = stamps.length > 1 ? (stamps.at(-1)! - stamps[0]) / (stamps.length - 1) : stamps.length ? stamps[0] : NaN;
  if (!(msPerStep > 0)) throw new Error('The calibration steps did not run.');
  return { msPerStep, trainRows: t.train.length, valRows: t.val.length, backend: ids.backend, key: calibrationKey(s, ids.datasetId, ids.backend) };
}

/** What a run with these settings takes at most, from a calibration. */
export function runEstimate(c: Pick<Calibration, 'msPerStep' | 'trainRows' | 'valRows'>, s: Pick<RunSettings, 'batchSize' | 'epochs' | 'maxEvals'>): RunEstimate {
  const stepsPerTrial = Math.ceil(c.trainRows / s.batchSize) * s.epochs;
  const evalMs = (Math.ceil(c.valRows / s.batchSize) * c.msPerStep * s.epochs) / 3;
  const perTrialMs = stepsPerTrial * c.msPerStep + evalMs;
  return { stepsPerTrial, trials: s.maxEvals, perTrialMs, totalMs: perTrialMs * s.maxEvals };
}

export interface EtaInput {
  maxTrials: number;
  /** Wall times of the finished trials (done or failed). */
  finishedMs: number[];
  /** The trial in progress: steps done since it (re)started and how long they took. */
  current?: { step: number; totalSteps: number; stepsTimed: number; timedMs: number };
  /** Steps of a full trial, when known (from a progress report). */
  stepsPerTrial?: number;
  /** The latest measured time per step (this trial's, else the last trial's). */
  msPerStep?: number;
}

export interface Eta {
  /** Typical trial: the mean of the finished trials, else the current trial's steps extrapolated. */
  perTrialMs: number;
  /** The most the rest can take (every remaining trial run in full), never below steps left × step time. */
  atMostMs: number;
  /** Trials left including the current one. */
  trialsLeft: number;
  /** Measured time per step, when known. */
  msPerStep?: number;
}

export function estimateEta(i: EtaInput): Eta | undefined {
  const c = i.current;
  const ownMsPerStep = c && c.stepsTimed > 0 ? c.timedMs / c.stepsTimed : undefined;
  const msPerStep = ownMsPerStep ?? i.msPerStep;
  const stepsPerTrial = c?.totalSteps ?? i.stepsPerTrial;
  const perTrialMs = i.finishedMs.length
    ? i.finishedMs.reduce((a, b) => a + b, 0) / i.finishedMs.length
    : msPerStep !== undefined && stepsPerTrial
      ? msPerStep * stepsPerTrial
      : undefined;
  if (perTrialMs === undefined || !Number.isFinite(perTrialMs)) return undefined;
  const trialsLeft = Math.max(c ? 1 : 0, i.maxTrials - i.finishedMs.length);
  const after = Math.max(0, trialsLeft - (c ? 1 : 0));
  const currentSteps = c ? Math.max(0, c.totalSteps - c.step) : 0;
  // A trial that has not reported a timed step yet counts as a whole typical trial.
  const currentLeft = c ? (msPerStep !== undefined && c.stepsTimed > 0 ? msPerStep * currentSteps : Math.max(perTrialMs, msPerStep !== undefined ? msPerStep * currentSteps : 0)) : 0;
  let atMostMs = currentLeft + after * perTrialMs;
  if (msPerStep !== undefined && stepsPerTrial) atMostMs = Math.max(atMostMs, (currentSteps + after * stepsPerTrial) * msPerStep);
  return { perTrialMs, atMostMs, trialsLeft, msPerStep };
}
