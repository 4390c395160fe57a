/**
 * Validation metrics, defined exactly as scikit-learn defines them so numbers here can be
 * compared with a PyTorch/sklearn run of the same trial:
 * - regression: mean_squared_error, mean_absolute_error, sqrt(MSE), r2_score (force_finite: a constant
 *   y_true gives 1 for a perfect fit and 0 otherwise, instead of NaN / -inf);
 * - classification: accuracy_score and precision_recall_fscore_support(average='weighted',
 *   zero_division=0): per-class scores over the classes present in y_true ∪ y_pred, weighted by their
 *   support in y_true (so a class absent from y_true weighs 0, and one never predicted scores precision 0);
 * - macro F1 (`f1_macro`): f1_score(average='macro', zero_division=0), the unweighted mean of the per-class
 *   F1 over the classes present in y_true ∪ y_pred. Next to the weighted F1 it shows a collapse to one class:
 *   always predicting the majority class keeps a fair weighted F1 (that class weighs most) while the macro F1
 *   is that one class's F1 divided by the number of classes.
 */
import type { MetricName } from '../vocabulary';

export type Metrics = Partial<Record<MetricName, number>>;

export interface MetricsInput {
  scores?: { pred: number[]; true: number[] };
  classes?: { pred: number[]; true: number[]; numClasses: number };
}

export interface ScoreMetrics {
  mse: number;
  mae: number;
  rmse: number;
  r2: number;
}

export function regressionMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>): ScoreMetrics {
  const n = truth.length;
  if (pred.length !== n) throw new Error(`Metrics: ${pred.length} predicted scores for ${n} true scores.`);
  if (n === 0) throw new Error('Metrics: no validation rows with a score.');
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i];
  mean /= n;
  let ssRes = 0;
  let abs = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const e = truth[i] - pred[i];
    ssRes += e * e;
    abs += Math.abs(e);
    const d = truth[i] - mean;
    ssTot += d * d;
  }
  const mse = ssRes / n;
  // sklearn's force_finite: a constant target makes R² undefined; it reports 1 for a perfect fit, else 0.
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  return { mse, mae: abs / n, rmse: Math.sqrt(mse), r2 };
}

export interface ClassMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Unweighted mean of the per-class F1 over the classes in y_true ∪ y_pred. */
  f1_macro: number;
}

export function classificationMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>, numClasses: number): ClassMetrics {
  const n = truth.length;
  if (pred.length !== n) throw new Error(`Metrics: ${pred.length} predicted classes for ${n} true classes.`);
  if (n === 0) throw new Error('Metrics: no validation rows with a class.');
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`Metrics: numClasses must be a positive integer, got ${numClasses}.`);
  const tp = new Float64Array(numClasses);
  const predCount = new Float64Array(numClasses);
  const support = new Float64Array(numClasses);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const p = pred[i];
    const t = truth[i];
    if (!Number.isInteger(p) || p < 0 || p >= numClasses) throw new Error(`Metrics: predicted class ${p} at position ${i} is outside 0..${numClasses - 1}.`);
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) throw new Error(`Metrics: true class ${t} at position ${i} is outside 0..${numClasses - 1}.`);
    predCount[p]++;
    support[t]++;
    if (p === t) {
      tp[p]++;
      correct++;
    }
  }
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  let macroSum = 0;
  let macroClasses = 0;
  for (let c = 0; c < numClasses; c++) {
    if (support[c] === 0 && predCount[c] === 0) continue; // in neither y_true nor y_pred: not a label at all
    const fp = predCount[c] - tp[c];
    const fn = support[c] - tp[c];
    // sklearn ≥1.3 computes F from counts: (1+β²)tp / ((1+β²)tp + β²fn + fp), 0 when the denominator is 0.
    const denom = 2 * tp[c] + fn + fp;
    const f = denom === 0 ? 0 : (2 * tp[c]) / denom;
    // Macro: every label of y_true ∪ y_pred counts once (a class only ever predicted scores F1 0).
    macroSum += f;
    macroClasses++;
    if (support[c] === 0) continue; // weight 0 in the weighted averages (the class exists only in y_pred)
    const p = predCount[c] === 0 ? 0 : tp[c] / predCount[c];
    const r = tp[c] / support[c];
    precision += p * support[c];
    recall += r * support[c];
    f1 += f * support[c];
  }
  return { accuracy: correct / n, precision: precision / n, recall: recall / n, f1: f1 / n, f1_macro: macroSum / macroClasses };
}

export function computeMetrics(input: MetricsInput): Metrics {
  const out: Metrics = {};
  if (input.scores) Object.assign(out, regressionMetrics(input.scores.pred, input.scores.true));
  if (input.classes) Object.assign(out, classificationMetrics(input.classes.pred, input.classes.true, input.classes.numClasses));
  return out;
}
