/**
 * One training step of backbone + LoRA + heads: forward, multitask loss, gradients of every trainable
 * tensor, clipping and the AdamW update. Shared by the trial runner, the reference check and the bench.
 */
import * as tf from '@tensorflow/tfjs';
import type { DropoutSource } from '../model/dropout';
import type { ModelInput, RobertaModel } from '../model/roberta';
import type { LoraAdapter } from '../model/lora';
import type { Heads } from '../model/heads';
import { padBatch } from '../model/tokenizer';
import { customOp } from '../model/ops';
import { crossEntropyLoss, minorityPenalty, mseLoss } from './losses';
import { clipFlat, flatten, type AdamW } from './optimizer';

export interface Row {
  ids: number[];
  score?: number;
  label?: number;
}

export interface DeviceBatch {
  input: ModelInput;
  /** [B] targets for the regression head. */
  scores?: tf.Tensor1D;
  /** [B, K] one-hot targets for the classification head. */
  oneHot?: tf.Tensor2D;
  size: number;
  tokens: number;
  uploadBytes: number;
  dispose(): void;
}

/** Pad rows dynamically and upload ids, positions, mask and targets. */
export function makeBatch(model: RobertaModel, rows: Row[], opts: { regression: boolean; numClasses: number }): DeviceBatch {
  const enc = padBatch(rows.map((r) => r.ids), model.config.padId);
  const input = model.prepareInput(enc);
  let upload = input.uploadBytes;
  let scores: tf.Tensor1D | undefined;
  let oneHot: tf.Tensor2D | undefined;
  if (opts.regression) {
    const s = new Float32Array(rows.length);
    rows.forEach((r, i) => {
      if (r.score === undefined || !Number.isFinite(r.score)) throw new Error(`Row ${i + 1} of the batch has no numeric score but the regression head needs one.`);
      s[i] = r.score;
    });
    scores = tf.tensor1d(s);
    upload += s.byteLength;
  }
  if (opts.numClasses > 0) {
    const K = opts.numClasses;
    const oh = new Float32Array(rows.length * K);
    rows.forEach((r, i) => {
      if (r.label === undefined || !Number.isInteger(r.label) || r.label < 0 || r.label >= K)
        throw new Error(`Row ${i + 1} of the batch has label ${r.label}, outside 0..${K - 1}.`);
      oh[i * K + r.label] = 1;
    });
    oneHot = tf.tensor2d(oh, [rows.length, K]);
    upload += oh.byteLength;
  }
  return {
    input,
    scores,
    oneHot,
    size: rows.length,
    tokens: enc.lengths.reduce((a, b) => a + b, 0),
    uploadBytes: upload,
    dispose: () => {
      input.dispose();
      scores?.dispose();
      oneHot?.dispose();
    },
  };
}

export interface LossSettings {
  /** Constant task weights (the presets use 0.75 for the score and 0.25 for the classes). */
  regWeight: number;
  clsWeight: number;
  /** Adaptive (DAO) task weights from feature-gradient norms; needs both heads. */
  adaptive: boolean;
  smoothing: number;
  /** [K] class weights for CE (adaptive mode), resident. */
  classWeights?: tf.Tensor1D;
  /** [K] 1 for minority classes, resident; with minorityLambda > 0 adds the penalty. */
  minorityMask?: tf.Tensor1D;
  minorityLambda: number;
}

export interface TrainContext {
  model: RobertaModel;
  lora: LoraAdapter;
  heads: Heads;
  loss: LossSettings;
  recompute?: boolean;
  /** Dropout masks while training (absent: dropout off, as in the reference check). */
  dropout?: DropoutSource;
}

export interface LossResult {
  /** Weighted total loss (what is optimised). */
  loss: tf.Scalar;
  regLoss?: tf.Scalar;
  clsLoss?: tf.Scalar;
  /** Task weights used [reg, cls] (adaptive: this step's; constant otherwise). */
  weights: tf.Tensor1D;
  /** Smoothed feature-gradient norms after this step (adaptive mode). */
  ema?: tf.Tensor1D;
  /** Gradient per trainable tensor, same order as `trainables(ctx)`. */
  grads: tf.Tensor[];
}

/** All trainable tensors, named, in a fixed order (LoRA first, then heads). */
export function trainables(ctx: { lora: LoraAdapter; heads: Heads }): [string, tf.Variable][] {
  return [...ctx.lora.named(), ...ctx.heads.named()];
}

/**
 * Forward + backward. `prevEma` is the adaptive state before this step (null on the first step).
 * Caller disposes every tensor of the result.
 */
export function lossAndGrads(ctx: TrainContext, batch: DeviceBatch, training: boolean, prevEma: [number, number] | null = null): LossResult {
  const named = trainables(ctx);
  const vars = named.map(([, v]) => v);
  const { heads, loss: ls } = ctx;
  const both = !!(batch.scores && batch.oneHot);
  const adaptive = ls.adaptive && both;
  let weights: tf.Tensor1D | undefined;
  let ema: tf.Tensor1D | undefined;
  let regLoss: tf.Scalar | undefined;
  let clsLoss: tf.Scalar | undefined;
  ctx.lora.setTraining(training);

  const f = () => {
    const h = ctx.model.forward(batch.input, { training, dropout: ctx.dropout, adapter: ctx.lora, recompute: ctx.recompute });
    let hReg = h, hCls = h;
    if (adaptive) {
      // Give each head its own copy of h so backward sees ∂L_reg/∂h and ∂L_cls/∂h separately;
      // the hook mixes them with this step's adaptive weights before they reach the encoder.
      const B = batch.size, H = ctx.model.hiddenSize;
      const hook = customOp(([x]) => ({
        value: tf.concat([x as tf.Tensor2D, x as tf.Tensor2D], 0),
        gradFunc: (dy) => {
          const d = dy as tf.Tensor2D;
          const gr = tf.slice(d, [0, 0], [B, H]);
          const gc = tf.slice(d, [B, 0], [B, H]);
          const norms = tf.stack([tf.norm(gr), tf.norm(gc)]) as tf.Tensor1D;
          const e = prevEma ? tf.add(tf.mul(tf.tensor1d(prevEma), ls.smoothing), tf.mul(norms, 1 - ls.smoothing)) : norms;
          const inv = tf.div(1, tf.add(e, 1e-8));
          const w = tf.div(inv, tf.sum(inv)) as tf.Tensor1D;
          ema = tf.keep(e as tf.Tensor1D);
          weights = tf.keep(w);
          const [w0, w1] = tf.split(w, 2);
          return tf.add(tf.mul(gr, w0), tf.mul(gc, w1));
        },
      }));
      const pair = hook(h) as tf.Tensor2D;
      hReg = tf.slice(pair, [0, 0], [B, H]);
      hCls = tf.slice(pair, [B, 0], [B, H]);
    }
    const terms: tf.Scalar[] = [];
    if (batch.scores) {
      regLoss = tf.keep(mseLoss(heads.regression(hReg), batch.scores));
      terms.push(adaptive ? regLoss : tf.mul(regLoss, batch.oneHot ? ls.regWeight : 1));
    }
    if (batch.oneHot) {
      const logits = heads.classification(hCls, training, ctx.dropout);
      let c = crossEntropyLoss(logits, batch.oneHot, adaptive ? ls.classWeights : undefined);
      if (adaptive && ls.minorityMask && ls.minorityLambda > 0) c = tf.add(c, minorityPenalty(logits, batch.oneHot, ls.minorityMask, ls.minorityLambda));
      clsLoss = tf.keep(c);
      terms.push(adaptive ? clsLoss : tf.mul(clsLoss, batch.scores ? ls.clsWeight : 1));
    }
    return (terms.length === 1 ? terms[0] : tf.add(terms[0], terms[1])) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(f, vars);
  let out: tf.Tensor[] = vars.map((v) => grads[v.name]);
  let total: tf.Scalar = value;
  if (adaptive) {
    // Head gradients came from the unweighted sum: scale each head's by its task weight.
    const w = weights!;
    out = tf.tidy(() => {
      const [w0, w1] = tf.split(w, 2);
      return named.map(([name], i) => {
        const g = out[i];
        if (name.startsWith('heads.regression.')) return tf.mul(g, w0);
        if (name.startsWith('heads.classification.')) return tf.mul(g, w1);
        return g.clone();
      });
    });
    Object.values(grads).forEach((g) => g.dispose());
    total = tf.tidy(() => tf.sum(tf.mul(w, tf.stack([regLoss!, clsLoss!]))) as tf.Scalar);
    value.dispose();
  } else {
    weights = tf.tensor1d(both ? [ls.regWeight, ls.clsWeight] : batch.scores ? [1, 0] : [0, 1]);
  }
  return { loss: total, regLoss, clsLoss, weights: weights!, ema, grads: out };
}

export function disposeLossResult(r: LossResult): void {
  r.loss.dispose();
  r.regLoss?.dispose();
  r.clsLoss?.dispose();
  r.weights.dispose();
  r.ema?.dispose();
  r.grads.forEach((g) => g.dispose());
}

/**
 * Sees one step's gradients (same order as `trainables(ctx)`), before clipping and the update, and may return
 * one tensor computed from them (e.g. AdaLoRA's |θ·∂L/∂θ| per component). It must not dispose the gradients;
 * the caller of trainStep owns what it returns.
 */
export type AfterGradients = (grads: readonly tf.Tensor[]) => tf.Tensor | undefined;

/**
 * Forward/backward, clip, AdamW update. Returns the loss result (grads already disposed) and, with an
 * `afterGradients` hook, what the hook returned (`fromGradients`).
 */
export function trainStep(
  ctx: TrainContext,
  opt: AdamW,
  batch: DeviceBatch,
  lr: number,
  maxGradNorm: number,
  prevEma: [number, number] | null,
  afterGradients?: AfterGradients,
): Omit<LossResult, 'grads'> & { gradNorm: tf.Scalar; fromGradients?: tf.Tensor } {
  const r = lossAndGrads(ctx, batch, true, prevEma);
  let fromGradients: tf.Tensor | undefined;
  let flat: tf.Tensor1D;
  try {
    fromGradients = afterGradients?.(r.grads);
    flat = tf.tidy(() => flatten(r.grads));
  } catch (e) {
    // A failing hook must not leak the step's tensors: the training loop reports the error and goes on disposing.
    disposeLossResult(r);
    fromGradients?.dispose();
    throw e;
  }
  r.grads.forEach((g) => g.dispose());
  const { grad, norm } = clipFlat(flat, maxGradNorm);
  flat.dispose();
  opt.applyFlat(grad, lr);
  grad.dispose();
  return { loss: r.loss, regLoss: r.regLoss, clsLoss: r.clsLoss, weights: r.weights, ema: r.ema, gradNorm: norm, fromGradients };
}
