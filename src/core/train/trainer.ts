/**
 * The trial runner: one LoRA fine-tuning of a configuration (ranks per layer, …) on tokenized rows,
 * with per-epoch validation, cancellation, progress, NaN / lost-device handling and checkpoint/resume
 * that reproduces an uninterrupted run exactly (same seed ⇒ same shuffles, dropout masks and init).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type RngState } from '../util/rng';
import type { AdapterSnapshot } from '../model/adapter';
import type { NamedTensor } from '../model/safetensors';
import type { RobertaModel } from '../model/roberta';
import { createLora, type LoraAdapter, type LoraSettings } from '../model/lora';
import { loraParamCount } from '../model/shape';
import { createHeads } from '../model/heads';
import { DropoutPool } from '../model/dropout';
import { computeMetrics, type Metrics } from './metrics';
import { AdamW, type OptimizerState } from './optimizer';
import { cosineWithWarmup, warmupStepsFromRatio } from './schedule';
import { classWeightsFromLabels, minorityClasses } from './losses';
import { deriveClass, DERIVED_CLASS_NAMES } from '../vocabulary';
import { makeBatch, trainStep, trainables, type AfterGradients, type LossSettings, type Row, type TrainContext } from './step';

export type { Row } from './step';

export interface TrialData {
  train: Row[];
  val: Row[];
  /** Classes of the classification head (0 = no classification head). */
  numClasses: number;
  /** The classes are the five derived from the score: a row without a label gets the class of its score. */
  derivedClasses: boolean;
  classNames?: string[];
}

export interface TrialSettings {
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupRatio: number;
  /** Global gradient-norm clip (torch clip_grad_norm_); ≤ 0 or Infinity disables. */
  clipNorm: number;
  lora: LoraSettings;
  /** Train the regression head (needs scores). Default: every train row has a score. */
  regression?: boolean;
  lossMode: 'constant' | 'adaptive';
  regWeight: number;
  clsWeight: number;
  /** Adaptive mode: EMA factor of the gradient norms (default 0.9), minority penalty λ (default 0.1). */
  smoothing?: number;
  minorityLambda?: number;
  /** Classification-head dropout (default: the model's hidden_dropout_prob). */
  headDropout?: number;
  /** Per-layer activation recomputation (gradient checkpointing). */
  recompute?: boolean;
  evalBatchSize?: number;
  /** Adapter's base model id (default: config name). */
  baseModel?: string;
}

export interface StepProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  regLoss?: number;
  clsLoss?: number;
  lr: number;
  taskWeights: [number, number];
  tokens: number;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  val: Metrics;
  ms: number;
}

export interface TrialCheckpoint {
  version: 1;
  /** Optimiser steps done. */
  step: number;
  epoch: number;
  /** Next batch index inside `order`. */
  batchInEpoch: number;
  order: number[];
  shuffleRng: RngState;
  dropoutRng: RngState;
  lora: Record<string, { A: NamedTensor; B: NamedTensor }>;
  heads: Record<string, NamedTensor>;
  optimizer: OptimizerState;
  adaptiveEma: [number, number] | null;
  epochs: EpochMetrics[];
  epochLossSum: number;
  epochLossCount: number;
}

/**
 * What a search strategy hooks into the one training loop (AdaLoRA / SalientLoRA pruning,
 * src/core/searchBridge/pruningRun.ts), so that a pruning run trains exactly as a trial does.
 */
export interface StepHooks {
  /**
   * Once, after the LoRA and heads are built and before the optimiser takes their variables: may put a LoRA
   * that takes over `ctx.lora`'s variables in its place (MaskedLoraAdapter.wrap).
   */
  prepare?(ctx: TrainContext): void;
  /** This step's gradients, before clipping and the update (see AfterGradients). */
  afterGradients?: AfterGradients;
  /**
   * After the update, with `step` the 0-based index of the optimiser step just taken, its training loss and
   * the read-back of what afterGradients returned. Keep-masks set here hold from the next forward pass on,
   * and for the validation after the last step.
   */
  afterUpdate?(step: number, s: { loss: number; fromGradients?: Float32Array }): void | Promise<void>;
}

export interface TrialHooks {
  signal?: AbortSignal;
  /** Hooks inside each optimiser step (pruning); absent for a plain trial. */
  step?: StepHooks;
  onStep?: (p: StepProgress) => void;
  onEpoch?: (e: EpochMetrics) => void;
  /** Emit a checkpoint every N optimiser steps (0/undefined: never). */
  checkpointEvery?: number;
  onCheckpoint?: (c: TrialCheckpoint) => void | Promise<void>;
  resume?: TrialCheckpoint;
  /** Settles when the GPU device is lost (e.g. GPUDevice.lost); the trial then fails with that reason. */
  deviceLost?: Promise<unknown>;
}

export interface TrialResult {
  status: 'completed' | 'failed' | 'cancelled';
  reason?: string;
  /** Set when the failure is the GPU device's, not the configuration's: the run should pause, not record it. */
  fault?: 'device-lost';
  epochs: EpochMetrics[];
  /** Validation metrics after the last epoch (null when no epoch finished). */
  final: Metrics | null;
  adapter: AdapterSnapshot | null;
  /** LoRA + head parameters. */
  trainableParams: number;
  /** LoRA parameters only: what a configuration costs against the search's budget. */
  loraParams: number;
  steps: number;
  timings: { totalMs: number; trainMs: number; evalMs: number; tokensPerSec: number; msPerStep: number };
}

// A destroyed or lost WebGPU device shows up as failed read-backs ("Buffer was unmapped before mapping was
// resolved", mapAsync on a destroyed device) as often as a "device lost" message.
const DEVICE_LOST = /device (was |is )?(lost|destroyed)|devicelost|context (was )?lost|GPUDevice|webgl.*lost|buffer was (unmapped|destroyed)|unmapped before|mapAsync|instance dropped/i;

/** Whether an error means the GPU device (or WebGL context) is gone rather than the training going wrong. */
export function isDeviceLost(e: unknown): boolean {
  return DEVICE_LOST.test(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
}

/** What the user is told when the device is lost: the run pauses and Resume re-creates the backend. */
export function deviceLostMessage(detail: string): string {
  return `The GPU device was lost during training (${detail}). The search is paused and the trial in progress keeps its last checkpoint: Resume re-creates the GPU backend and continues.`;
}

/** A message for the user from anything thrown during training. */
export function describeFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (isDeviceLost(e)) return deviceLostMessage(msg);
  if (/out of memory|OOM|allocation failed|Failed to allocate/i.test(msg)) return `Out of GPU memory (${msg}). Lower the batch size, max length or ranks, or turn on activation recomputation.`;
  return `Training failed: ${msg}`;
}

/** What the class targets of rows are: how many classes, and whether a score stands in for a missing label. */
export type ClassTargets = Pick<TrialData, 'numClasses' | 'derivedClasses'>;

/** Rows with a class label for the classification head; `split` names them in the message ("Training row 3 …"). */
function labelled(rows: Row[], classes: ClassTargets, split?: string): Row[] {
  if (classes.numClasses <= 0) return rows;
  return rows.map((r, i) => {
    if (r.label !== undefined) return r;
    if (classes.derivedClasses && r.score !== undefined) return { ...r, label: deriveClass(r.score) };
    throw new Error(`${split ? `${split} row` : 'Row'} ${i + 1} has neither a label nor a score to derive one from.`);
  });
}

/**
 * A trial's random streams from its seed. They are forked one after another from one Rng(seed) — init,
 * shuffle, dropout-pool, dropout; each fork takes the next draw — rather than by name from a RootRng
 * (util/rng.ts): every stored checkpoint and every result a seed has given rests on this order, so it stays.
 * A new stream goes after these four.
 */
export function trialStreams(seed: number): { init: Rng; shuffle: Rng; dropout: DropoutPool } {
  const root = new Rng(seed);
  const init = root.fork('init');
  const shuffle = root.fork('shuffle');
  const dropout = new DropoutPool(root.fork('dropout-pool').nextUint32(), root.fork('dropout'));
  return { init, shuffle, dropout };
}

/** Optimiser steps of a trial: every epoch goes through the training rows in batches, the last one short. */
export function trialSteps(data: Pick<TrialData, 'train'>, s: Pick<TrialSettings, 'epochs' | 'batchSize'>): number {
  return Math.ceil(data.train.length / s.batchSize) * s.epochs;
}

/** Build the trainable context (LoRA + heads + loss settings) for a model and settings. */
export function createTrainContext(model: RobertaModel, data: TrialData, s: TrialSettings, initRng: Rng, dropout?: DropoutPool): TrainContext {
  const regression = s.regression ?? data.train.every((r) => r.score !== undefined);
  const lora = createLora(model, s.lora, initRng);
  const heads = createHeads(model.hiddenSize, { regression, numClasses: data.numClasses, dropout: s.headDropout ?? model.config.hiddenDropout }, initRng);
  const adaptive = s.lossMode === 'adaptive' && regression && data.numClasses > 0;
  const loss: LossSettings = { regWeight: s.regWeight, clsWeight: s.clsWeight, adaptive, smoothing: s.smoothing ?? 0.9, minorityLambda: s.minorityLambda ?? 0.1 };
  if (adaptive) {
    const labels = labelled(data.train, data).map((r) => r.label!);
    loss.classWeights = tf.tensor1d(classWeightsFromLabels(labels, data.numClasses));
    loss.minorityMask = tf.tensor1d(minorityClasses(labels, data.numClasses).map((b) => (b ? 1 : 0)));
  }
  return { model, lora, heads, loss, recompute: s.recompute, dropout };
}

export function disposeTrainContext(ctx: TrainContext): void {
  ctx.lora.dispose();
  ctx.heads.dispose();
  ctx.loss.classWeights?.dispose();
  ctx.loss.minorityMask?.dispose();
  if (ctx.dropout instanceof DropoutPool) ctx.dropout.dispose();
}

export interface Predictions {
  scores?: number[];
  /** Row-major [n, K] probabilities. */
  probs?: number[][];
}

/** Inference over rows in batches (no dropout). */
export async function predictRows(ctx: Pick<TrainContext, 'model' | 'lora' | 'heads'>, rows: { ids: number[] }[], batchSize = 32): Promise<Predictions> {
  const out: Predictions = {};
  if (ctx.heads.settings.regression) out.scores = [];
  if (ctx.heads.settings.numClasses > 0) out.probs = [];
  ctx.lora.setTraining(false);
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    const batch = makeBatch(ctx.model, chunk.map((r) => ({ ids: r.ids })), { regression: false, numClasses: 0 });
    try {
      const res = tf.tidy(() => {
        const h = ctx.model.forward(batch.input, { training: false, adapter: ctx.lora });
        const o = ctx.heads.forward(h, false);
        return [o.score, o.logits ? tf.softmax(o.logits) : undefined] as const;
      });
      if (res[0]) {
        out.scores!.push(...(await res[0].data()));
        res[0].dispose();
      }
      if (res[1]) {
        const K = res[1].shape[1]!;
        const p = await res[1].data();
        for (let r = 0; r < chunk.length; r++) out.probs!.push(Array.from(p.subarray(r * K, (r + 1) * K)));
        res[1].dispose();
      }
    } finally {
      batch.dispose();
    }
  }
  ctx.lora.setTraining(true);
  return out;
}

/** Validation metrics (computeMetrics) of the current weights on `rows`. */
export async function evaluateRows(ctx: Pick<TrainContext, 'model' | 'lora' | 'heads'>, rows: Row[], classes: ClassTargets, batchSize = 32): Promise<Metrics> {
  const p = await predictRows(ctx, rows, batchSize);
  const input: Parameters<typeof computeMetrics>[0] = {};
  if (p.scores) input.scores = { pred: p.scores, true: rows.map((r) => r.score!) };
  if (p.probs) {
    const lab = labelled(rows, classes);
    input.classes = { pred: p.probs.map((pr) => pr.indexOf(Math.max(...pr))), true: lab.map((r) => r.label!), numClasses: classes.numClasses };
  }
  return computeMetrics(input);
}

async function adapterSnapshot(ctx: TrainContext, s: TrialSettings, data: TrialData, model: RobertaModel): Promise<AdapterSnapshot> {
  return {
    baseModel: s.baseModel ?? model.config.name,
    targets: [...s.lora.targets],
    ranks: [...s.lora.ranks],
    alphas: [...ctx.lora.alphas],
    rslora: s.lora.rslora,
    loraDropout: s.lora.dropout,
    lora: await ctx.lora.snapshot(),
    heads: await ctx.heads.snapshot(),
    classNames: data.numClasses > 0 ? (data.classNames ?? defaultClassNames(data)) : [],
  };
}

function defaultClassNames(data: ClassTargets): string[] {
  return data.derivedClasses ? [...DERIVED_CLASS_NAMES] : Array.from({ length: data.numClasses }, (_, i) => String(i));
}

export function validateTrial(data: TrialData, s: TrialSettings): void {
  if (!data.train.length) throw new Error('The training split is empty.');
  if (!data.val.length) throw new Error('The validation split is empty.');
  if (!Number.isInteger(s.epochs) || s.epochs < 1) throw new Error(`Epochs must be a whole number ≥ 1, got ${s.epochs}.`);
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1) throw new Error(`Batch size must be a whole number ≥ 1, got ${s.batchSize}.`);
  if (!(s.lr > 0)) throw new Error(`Learning rate must be above 0, got ${s.lr}.`);
  if (data.derivedClasses && data.numClasses !== DERIVED_CLASS_NAMES.length)
    throw new Error(`Classes derived from the score are ${DERIVED_CLASS_NAMES.length}, but the head was given ${data.numClasses}.`);
  data.train.forEach((r, i) => {
    if (!r.ids.length) throw new Error(`Training row ${i + 1} has no tokens.`);
  });
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Train one configuration. Never throws for training failures: NaN loss, a lost device or an error in a
 * step give `status: 'failed'` with a reason; an abort gives 'cancelled'. Settings errors do throw.
 */
export async function runTrial(model: RobertaModel, data: TrialData, settings: TrialSettings, hooks: TrialHooks = {}): Promise<TrialResult> {
  validateTrial(data, settings);
  const t0 = now();
  const train = labelled(data.train, data, 'Training');
  const val = labelled(data.val, data, 'Validation');
  const streams = trialStreams(settings.seed);
  let shuffleRng = streams.shuffle;
  const pool = streams.dropout;
  const ctx = createTrainContext(model, { ...data, train }, settings, streams.init, pool);
  try {
    hooks.step?.prepare?.(ctx);
  } catch (e) {
    disposeTrainContext(ctx);
    throw e;
  }
  const named = trainables(ctx);
  const opt = new AdamW(named, { lr: settings.lr, weightDecay: settings.weightDecay });
  const stepsPerEpoch = Math.ceil(train.length / settings.batchSize);
  const totalSteps = trialSteps(data, settings);
  const warmup = warmupStepsFromRatio(settings.warmupRatio, totalSteps);
  const loraParams = loraParamCount(settings.lora.ranks, settings.lora.targets.map((t) => model.targetShape(t)));
  const result: TrialResult = {
    status: 'completed',
    epochs: [],
    final: null,
    adapter: null,
    trainableParams: ctx.lora.paramCount() + ctx.heads.paramCount(),
    loraParams,
    steps: 0,
    timings: { totalMs: 0, trainMs: 0, evalMs: 0, tokensPerSec: 0, msPerStep: 0 },
  };
  let lost: string | null = null;
  hooks.deviceLost?.then(
    (info) => (lost = `GPU device lost${info ? `: ${typeof info === 'object' && info && 'message' in info ? (info as { message: string }).message || (info as { reason?: string }).reason : String(info)}` : ''}`),
    () => undefined,
  );
  let step = 0, epoch = 0, batchInEpoch = 0, order: number[] = [];
  let ema: [number, number] | null = null;
  let lossSum = 0, lossCount = 0, tokens = 0, trainMs = 0, evalMs = 0;
  try {
    if (hooks.resume) {
      const c = hooks.resume;
      if (c.version !== 1) throw new Error(`Checkpoint version ${c.version} is not supported.`);
      ctx.lora.load(c.lora);
      ctx.heads.load(c.heads);
      opt.setState(c.optimizer);
      ({ step, epoch, batchInEpoch, order } = c);
      order = [...order];
      shuffleRng = Rng.fromState(c.shuffleRng);
      pool.rng = Rng.fromState(c.dropoutRng);
      ema = c.adaptiveEma ? [...c.adaptiveEma] : null;
      result.epochs = c.epochs.map((e) => ({ ...e, val: { ...e.val } }));
      lossSum = c.epochLossSum;
      lossCount = c.epochLossCount;
    }
    const regression = ctx.heads.settings.regression;
    let lastYield = now();
    for (; epoch < settings.epochs; epoch++) {
      const te = now();
      if (batchInEpoch === 0) {
        order = shuffleRng.shuffle(train.map((_, i) => i));
        lossSum = 0;
        lossCount = 0;
      }
      for (; batchInEpoch < stepsPerEpoch; batchInEpoch++) {
        if (hooks.signal?.aborted) {
          result.status = 'cancelled';
          result.reason = 'Cancelled by the user.';
          return result;
        }
        if (lost) throw new Error(lost);
        const rows = order.slice(batchInEpoch * settings.batchSize, (batchInEpoch + 1) * settings.batchSize).map((i) => train[i]);
        const batch = makeBatch(model, rows, { regression, numClasses: data.numClasses });
        const lr = settings.lr * cosineWithWarmup(step, warmup, totalSteps);
        const ts = now();
        let r: ReturnType<typeof trainStep>;
        try {
          r = trainStep(ctx, opt, batch, lr, settings.clipNorm, ema, hooks.step?.afterGradients);
        } finally {
          batch.dispose();
        }
        const [lv, rl, cl, wv, ev, fg] = await Promise.all([r.loss.data(), r.regLoss?.data(), r.clsLoss?.data(), r.weights.data(), r.ema?.data(), r.fromGradients?.data()]);
        [r.loss, r.regLoss, r.clsLoss, r.weights, r.ema, r.gradNorm, r.fromGradients].forEach((t) => t?.dispose());
        trainMs += now() - ts;
        const loss = lv[0];
        if (!Number.isFinite(loss)) {
          result.status = 'failed';
          result.reason = `The loss became ${loss} at step ${step + 1} (epoch ${epoch + 1}): training diverged. Lower the learning rate or enable gradient clipping.`;
          return result;
        }
        if (ev) ema = [ev[0], ev[1]];
        await hooks.step?.afterUpdate?.(step, { loss, fromGradients: fg as Float32Array | undefined });
        step++;
        tokens += batch.tokens;
        lossSum += loss;
        lossCount++;
        hooks.onStep?.({ step, totalSteps, epoch: epoch + 1, loss, regLoss: rl?.[0], clsLoss: cl?.[0], lr, taskWeights: [wv[0], wv[1]], tokens: batch.tokens });
        // On CPU backends (wasm) every read-back resolves as a microtask, so a worker never got to its message
        // queue during a trial: pause/cancel waited for the trial's end. Let the queue run now and then.
        if (hooks.signal && now() - lastYield > 100) {
          await new Promise((r) => setTimeout(r, 0));
          lastYield = now();
        }
        // Checkpoints are taken inside an epoch (not after its last batch, where the evaluation follows).
        if (hooks.checkpointEvery && hooks.onCheckpoint && step % hooks.checkpointEvery === 0 && batchInEpoch + 1 < stepsPerEpoch) {
          await hooks.onCheckpoint({
            version: 1,
            step,
            epoch,
            batchInEpoch: batchInEpoch + 1,
            order: [...order],
            shuffleRng: shuffleRng.state(),
            dropoutRng: pool.rng.state(),
            lora: await ctx.lora.snapshot(),
            heads: await ctx.heads.snapshot(),
            optimizer: await opt.getState(),
            adaptiveEma: ema ? [...ema] : null,
            epochs: result.epochs.map((e) => ({ ...e, val: { ...e.val } })),
            epochLossSum: lossSum,
            epochLossCount: lossCount,
          });
        }
      }
      const tv = now();
      const valMetrics = await evaluateRows(ctx, val, data, settings.evalBatchSize ?? 32);
      evalMs += now() - tv;
      const em: EpochMetrics = { epoch: epoch + 1, trainLoss: lossSum / Math.max(1, lossCount), val: valMetrics, ms: now() - te };
      result.epochs.push(em);
      hooks.onEpoch?.(em);
      batchInEpoch = 0;
    }
    result.final = result.epochs.length ? result.epochs[result.epochs.length - 1].val : null;
    result.adapter = await adapterSnapshot(ctx, settings, data, model);
    return result;
  } catch (e) {
    result.status = 'failed';
    // Once the device is gone every error that follows is a symptom of that, whatever its message.
    if (lost && !isDeviceLost(e)) e = new Error(`${lost}; then: ${e instanceof Error ? e.message : String(e)}`);
    result.reason = describeFailure(e);
    if (lost || isDeviceLost(e)) result.fault = 'device-lost';
    return result;
  } finally {
    result.steps = step;
    result.timings = { totalMs: now() - t0, trainMs, evalMs, tokensPerSec: trainMs > 0 ? (tokens / trainMs) * 1000 : 0, msPerStep: step ? trainMs / step : 0 };
    opt.dispose();
    disposeTrainContext(ctx);
  }
}

/** Load an adapter snapshot onto the model's LoRA + heads (for the playground / export checks). */
export function contextFromSnapshot(model: RobertaModel, adapter: AdapterSnapshot): Pick<TrainContext, 'model' | 'lora' | 'heads'> {
  const lora = createLora(model, { targets: adapter.targets, ranks: adapter.ranks, alphas: adapter.alphas, rslora: adapter.rslora, dropout: adapter.loraDropout }, new Rng(0));
  const regression = 'regression.dense.weight' in adapter.heads;
  const cls = adapter.heads['classification.out.weight'];
  const heads = createHeads(model.hiddenSize, { regression, numClasses: cls ? cls.shape[0] : 0, dropout: 0 }, new Rng(0));
  lora.load(adapter.lora);
  heads.load(adapter.heads);
  return { model, lora, heads };
}

/** Playground inference: score and/or class probabilities per row of token ids. */
export async function predict(model: RobertaModel, adapter: AdapterSnapshot, ids: number[][], batchSize = 32): Promise<{ score?: number; probs?: number[] }[]> {
  const ctx = contextFromSnapshot(model, adapter);
  try {
    const p = await predictRows(ctx, ids.map((r) => ({ ids: r })), batchSize);
    return ids.map((_, i) => ({ score: p.scores?.[i], probs: p.probs?.[i] }));
  } finally {
    ctx.lora.dispose();
    ctx.heads.dispose();
  }
}
