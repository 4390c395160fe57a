/**
 * The run's targets on its dataset's train/validation/test split (exactly as every trial sees them, without
 * the tokenization) and the trivial baseline on that split: the constant predictors a trained model must beat.
 *
 * - scores: predict the mean of the training scores for every validation row (MSE ≈ the validation
 *   variance, R² ≈ 0, slightly below 0 when the training mean differs from the validation mean);
 * - classes: predict the most frequent training class for every validation row (accuracy = its share of the
 *   validation rows; weighted F1 fair when one class dominates, macro F1 low).
 *
 * Pure (no tensors): used by the training worker when a run starts and by the results document for runs
 * stored before the baseline was recorded.
 */
import type { DataRow, RunMapping } from '../data/types';
import { splitRows } from '../data/split';
import { deriveClass, DERIVED_CLASS_NAMES } from '../vocabulary';
import type { TrialData } from '../train/trainer';
import { classificationMetrics, regressionMetrics } from '../train/metrics';
import { LIMITS, toPlainText, type TrivialBaseline } from '../share/schema';

/** What a run's settings contribute to its split: only used for datasets stored without their own split. */
export interface SplitFallback {
  seed: number;
  valFraction: number;
  multitask: boolean;
}

/** The dataset's split as decided on the Data page, or (older datasets) the run's seed and validation share. */
export function datasetSplit(rows: readonly DataRow[], mapping: RunMapping, s: SplitFallback): { seed: number; valFraction: number; testFraction: number; useSplitColumn: boolean } {
  if (mapping.splitSeed !== undefined)
    return { seed: mapping.splitSeed, valFraction: mapping.valFraction ?? 0.1, testFraction: mapping.testFraction ?? 0, useSplitColumn: !!mapping.useSplitColumn };
  return { seed: s.seed, valFraction: s.valFraction, testFraction: 0, useSplitColumn: rows.some((r) => r.split) };
}

/** What a row is trained towards: its score and/or class id (the trainer's `Row` without token ids). */
export interface Target {
  score?: number;
  label?: number;
}

export interface SplitTargets {
  /** Indices into the stored rows. */
  trainIndex: number[];
  valIndex: number[];
  /** Held-out rows: never trained on, never used to choose; scored once the search has finished. */
  testIndex: number[];
  train: Target[];
  val: Target[];
  test: Target[];
  /** Classes of the classification head (0 = none). */
  numClasses: number;
  /** The classes are the five derived from the score (a score dataset with the class head on). */
  derivedClasses: boolean;
  classNames?: string[];
}

/** The class side of a split, as the trainer reads it: how many classes, whether they come from the score, names. */
export type ClassSpec = Pick<TrialData, 'numClasses' | 'derivedClasses' | 'classNames'>;

/** Split the stored rows as the dataset says (see datasetSplit) and map them to targets, as `prepareTrialData` does. */
export function splitTargets(rows: readonly DataRow[], mapping: RunMapping, s: SplitFallback): SplitTargets {
  const hasScore = mapping.task !== 'label';
  const labels = mapping.labels ?? [];
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const useLabels = mapping.task !== 'score' && labels.length > 1;
  const derivedClasses = !useLabels && hasScore && s.multitask;
  const numClasses = useLabels ? labels.length : derivedClasses ? DERIVED_CLASS_NAMES.length : 0;
  const toTarget = (r: DataRow): Target => {
    const t: Target = {};
    if (hasScore && r.score !== undefined) t.score = r.score;
    if (useLabels && r.label !== undefined) t.label = labelIndex.get(r.label);
    return t;
  };
  const split = splitRows(rows, datasetSplit(rows, mapping, s));
  return {
    trainIndex: split.train,
    valIndex: split.val,
    testIndex: split.test,
    train: split.train.map((i) => toTarget(rows[i])),
    val: split.val.map((i) => toTarget(rows[i])),
    test: split.test.map((i) => toTarget(rows[i])),
    numClasses,
    derivedClasses,
    classNames: useLabels ? labels : derivedClasses ? [...DERIVED_CLASS_NAMES] : undefined,
  };
}

/** The class a row is scored on: its label, else (derived classes) the class of its score, as the trainer does. */
function classOf(t: Target, classes: ClassSpec): number | undefined {
  if (t.label !== undefined) return t.label;
  if (classes.derivedClasses && t.score !== undefined && Number.isFinite(t.score)) return deriveClass(t.score);
  return undefined;
}

/**
 * The mean predictor and the majority-class predictor, fitted on `train` and scored on `val`. Undefined when
 * neither can be scored (no validation row with a score or a class).
 */
export function trivialBaseline(train: readonly Target[], val: readonly Target[], classes: ClassSpec): TrivialBaseline | undefined {
  const { numClasses, classNames } = classes;
  const out: TrivialBaseline = { metrics: {}, trainRows: train.length, valRows: val.length };
  const trainScores = train.map((t) => t.score).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const valScores = val.map((t) => t.score).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (trainScores.length && valScores.length) {
    const mean = trainScores.reduce((a, b) => a + b, 0) / trainScores.length;
    out.mean = mean;
    Object.assign(out.metrics, regressionMetrics(valScores.map(() => mean), valScores));
  }
  if (numClasses > 0) {
    const counts = new Array<number>(numClasses).fill(0);
    for (const t of train) {
      const c = classOf(t, classes);
      if (c !== undefined && c >= 0 && c < numClasses) counts[c]++;
    }
    const valClasses = val.map((t) => classOf(t, classes)).filter((c): c is number => c !== undefined && c >= 0 && c < numClasses);
    const total = counts.reduce((a, b) => a + b, 0);
    if (total > 0 && valClasses.length) {
      // The first maximum: ties go to the lowest class id.
      const index = counts.indexOf(Math.max(...counts));
      out.majority = { index, name: toPlainText(classNames?.[index] ?? `class ${index}`, LIMITS.maxClassName) };
      Object.assign(out.metrics, classificationMetrics(valClasses.map(() => index), valClasses, numClasses));
    }
  }
  return Object.keys(out.metrics).length ? out : undefined;
}

/** The trivial baseline of a run: its stored rows, split with its settings exactly as its trials see them. */
export function runBaseline(rows: readonly DataRow[], mapping: RunMapping, s: SplitFallback): TrivialBaseline | undefined {
  const t = splitTargets(rows, mapping, s);
  return trivialBaseline(t.train, t.val, t);
}
