/**
 * Losses and task weighting: MSE for the score, cross-entropy (optionally class-weighted, torch
 * CrossEntropyLoss(weight=…) semantics: Σ w_y·nll / Σ w_y) for the classes, constant task weights and the
 * adaptive (DAO) option.
 */
import * as tf from '@tensorflow/tfjs';

export function mseLoss(pred: tf.Tensor1D, target: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target)));
}

/**
 * Cross-entropy from logits [B, K] and one-hot targets [B, K]. `classWeights` [K]: torch semantics,
 * Σ_i w_{y_i}·nll_i / Σ_i w_{y_i}.
 */
export function crossEntropyLoss(logits: tf.Tensor2D, oneHot: tf.Tensor2D, classWeights?: tf.Tensor1D): tf.Scalar {
  const nll = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1));
  if (!classWeights) return tf.mean(nll);
  const w = tf.sum(tf.mul(oneHot, classWeights), -1);
  return tf.div(tf.sum(tf.mul(w, nll)), tf.sum(w));
}

/**
 * Class weights ∝ 1/frequency in the training split, normalised to mean 1 over present classes and clipped
 * to [clipLo, clipHi] so a nearly empty class cannot dominate. Absent classes get weight 1.
 */
export function classWeightsFromLabels(labels: number[], numClasses: number, clip: [number, number] = [0.2, 5]): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labels) counts[y]++;
  const present = counts.filter((c) => c > 0).length;
  const inv = counts.map((c) => (c > 0 ? labels.length / (present * c) : 1));
  return inv.map((w) => Math.min(clip[1], Math.max(clip[0], w)));
}

/** Classes whose training frequency is below half of uniform (1 / 2K): the "minority" ones. */
export function minorityClasses(labels: number[], numClasses: number): boolean[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labels) counts[y]++;
  return counts.map((c) => c > 0 && c / labels.length < 1 / (2 * numClasses));
}

/**
 * Minority-class penalty: λ · mean over the batch of (1 − p_true) for rows whose true class is a minority
 * class — pushes probability mass onto rare classes a little beyond what the class weights do.
 */
export function minorityPenalty(logits: tf.Tensor2D, oneHot: tf.Tensor2D, minorityMask: tf.Tensor1D, lambda: number): tf.Scalar {
  const pTrue = tf.sum(tf.mul(tf.softmax(logits), oneHot), -1);
  const isMin = tf.sum(tf.mul(oneHot, minorityMask), -1);
  return tf.mul(tf.mean(tf.mul(isMin, tf.sub(1, pTrue))), lambda);
}

export interface AdaptiveWeightState {
  /** Smoothed per-task gradient norms at the shared feature [reg, cls] (null before the first step). */
  ema: [number, number] | null;
}

/**
 * DAO-style adaptive task weights: w_t ∝ 1 / ema_t, where ema_t is the exponentially smoothed norm of
 * ∂L_t/∂h at the shared `<s>` feature h; normalised to Σ w = 1. The task whose gradient is currently
 * weaker gets more weight, so neither task dominates the shared encoder.
 */
export function adaptiveTaskWeights(state: AdaptiveWeightState, norms: [number, number], smoothing = 0.9): { weights: [number, number]; state: AdaptiveWeightState } {
  const clean = norms.map((n) => (Number.isFinite(n) ? n : 0)) as [number, number];
  const ema: [number, number] = state.ema ? [smoothing * state.ema[0] + (1 - smoothing) * clean[0], smoothing * state.ema[1] + (1 - smoothing) * clean[1]] : clean;
  const inv = ema.map((e) => 1 / (e + 1e-8));
  const s = inv[0] + inv[1];
  return { weights: [inv[0] / s, inv[1] / s], state: { ema } };
}
