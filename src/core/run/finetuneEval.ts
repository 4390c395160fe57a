/**
 * Does a model learn? One LoRA fine-tune of one configuration with the production trainer (`runTrial`), on
 * the app's own train/validation split, measured on the validation rows with the figures that tell learning
 * from its imitations: R² and Pearson r against the targets, the spread of the predictions next to the
 * spread of the targets (a model that predicts ≈ the mean everywhere has a fair MSE and a tiny spread), and
 * the training-mean / majority-class baselines on the same rows. Used by `npm run finetune` (src/cli/finetune.ts).
 */
import type { RobertaModel } from '../model/roberta';
import type { TextTokenizer } from '../model/tokenizer';
import type { TargetModule } from '../model/adapter';
import type { DataRow, RunMapping } from '../data/types';
import { splitRows } from '../data/split';
import { deriveClass } from '../vocabulary';
import { classificationMetrics, regressionMetrics } from '../train/metrics';
import { predict, runTrial, type TrialData, type TrialHooks, type TrialResult } from '../train/trainer';
import { prepareTrialData, trialSettings } from './labRun';
import type { ModelSession } from './modelSession';
import type { RunSettings } from './settings';

/**
 * The bars a fine-tune must clear to count as "learned something" (validation set, one seed). A LoRA on a
 * random-weight encoder stays near R² ≈ 0 with predictions huddled around the mean; a pretrained encoder
 * should clear all of them on the demo data. Regression: R², Pearson r, and prediction std ≥ a fraction of
 * the target std. Classification (label data only): accuracy above the majority-class accuracy by a margin.
 */
export const LEARNING_BARS = {
  minR2: 0.12,
  minPearson: 0.35,
  minPredStdRatio: 0.25,
  minAccuracyGain: 0.05,
} as const;
export type LearningBars = { [K in keyof typeof LEARNING_BARS]: number };

/** What the fine-tune changes in a preset: one rank for every layer (or one per layer), targets, length, …. */
export interface FinetuneOverrides {
  /** One rank for all layers, or one per layer. */
  ranks?: number | number[];
  targets?: TargetModule[];
  epochs?: number;
  maxLength?: number;
  lr?: number;
  batchSize?: number;
  /** Score data: also train the derived 5-class head (the preset's `multitask`); default off. */
  multitask?: boolean;
  /** Seed of the train/validation split, shared by every training seed (default 0). */
  splitSeed?: number;
  valFraction?: number;
}

/** A preset's settings with the fine-tune's overrides. `seed` is the split seed; trainings take their own. */
export function finetuneRunSettings(preset: RunSettings, o: FinetuneOverrides = {}): RunSettings {
  const s: RunSettings = { ...preset, strategy: 'uniform', groups: 1, budget: null, maxEvals: 1, multitask: o.multitask ?? false };
  if (o.targets) s.targets = [...o.targets];
  if (o.epochs !== undefined) s.epochs = o.epochs;
  if (o.maxLength !== undefined) s.maxLength = o.maxLength;
  if (o.lr !== undefined) s.lr = o.lr;
  if (o.batchSize !== undefined) s.batchSize = o.batchSize;
  if (o.valFraction !== undefined) s.valFraction = o.valFraction;
  s.seed = o.splitSeed ?? 0;
  const r = o.ranks ?? 8;
  s.allowedRanks = [...new Set(typeof r === 'number' ? [r] : r)];
  return s;
}

/** The tokenized split (as the app's trials see it) plus the raw text and targets of each side, for a text baseline. */
export interface FinetuneData {
  trial: TrialData;
  hasScore: boolean;
  /** True when the data has a label column (class figures are reported only then). */
  hasLabel: boolean;
  train: { text: string; score?: number; label?: string }[];
  val: { text: string; score?: number; label?: string }[];
}

/**
 * Tokenize and split `rows` exactly as a run of the app does (`prepareTrialData`: the split from `s.seed`,
 * `s.valFraction` and a split column when mapped), and keep each side's text for the TF-IDF baseline.
 */
export function prepareFinetuneData(rows: DataRow[], mapping: RunMapping, s: RunSettings, tokenizer: TextTokenizer): FinetuneData {
  const trial = prepareTrialData(rows, mapping, s, { tokenizer } as ModelSession);
  const split = splitRows(rows, { seed: s.seed, valFraction: s.valFraction, useSplitColumn: rows.some((r) => r.split) });
  const side = (idx: number[]) => idx.map((i) => ({ text: rows[i].text, score: rows[i].score, label: rows[i].label }));
  const out: FinetuneData = { trial, hasScore: mapping.task !== 'label', hasLabel: mapping.task !== 'score', train: side(split.train), val: side(split.val) };
  // The texts must line up with the tokenized rows (same split, same order); guard against the two drifting apart.
  const same = (a: { score?: number }[], b: { score?: number }[]) => a.length === b.length && a.every((r, i) => !out.hasScore || r.score === b[i].score);
  if (!same(out.train, trial.train) || !same(out.val, trial.val)) throw new Error('internal: the text split does not match the trial split');
  return out;
}

export interface ScoreFigures {
  mse: number;
  r2: number;
  /** Pearson correlation of predictions and targets (0 when either is constant). */
  pearson: number;
  /** Population standard deviation (ddof 0) of the predictions and of the targets. */
  predStd: number;
  targetStd: number;
  /** MSE of predicting the training mean for every validation row. */
  baselineMse: number;
}

export interface ClassFigures {
  accuracy: number;
  /** Weighted F1 (scikit-learn average='weighted'). */
  f1: number;
  macroF1: number;
  /** Accuracy of predicting the most frequent training class for every validation row. */
  majorityAccuracy: number;
}

export interface FinetuneFigures extends Partial<ScoreFigures>, Partial<ClassFigures> {
  seed: number;
  status: TrialResult['status'];
  reason?: string;
  trainRows: number;
  valRows: number;
  epochs: number;
  /** Validation MSE (scores) or accuracy (labels) after each epoch. */
  curve: number[];
  seconds: number;
  tokensPerSec: number;
  trainableParams: number;
}

const mean = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
};

/** Population standard deviation (numpy's default, ddof 0). */
export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / xs.length);
}

/** Pearson r; 0 when either side is constant (no linear relation can be shown). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) throw new Error(`pearson: need two equally long series of ≥ 2 values (got ${a.length} and ${b.length})`);
  const ma = mean(a), mb = mean(b);
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export function scoreFigures(pred: ArrayLike<number>, truth: ArrayLike<number>, trainScores: ArrayLike<number>): ScoreFigures {
  const { mse, r2 } = regressionMetrics(pred, truth);
  const m = mean(trainScores);
  return { mse, r2, pearson: pearson(pred, truth), predStd: std(pred), targetStd: std(truth), baselineMse: regressionMetrics(Array.from(truth, () => m), truth).mse };
}

export function classFigures(pred: ArrayLike<number>, truth: ArrayLike<number>, trainLabels: ArrayLike<number>, numClasses: number): ClassFigures {
  const c = classificationMetrics(pred, truth, numClasses);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < trainLabels.length; i++) counts[trainLabels[i]]++;
  const majority = counts.indexOf(Math.max(...counts));
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === majority) hits++;
  return { accuracy: c.accuracy, f1: c.f1, macroF1: c.f1_macro, majorityAccuracy: hits / truth.length };
}

/** Which bars a result misses (empty = it learned by every measure that applies to its data). */
export function missedBars(f: Partial<ScoreFigures & ClassFigures> & { status?: string }, bars: LearningBars = LEARNING_BARS): string[] {
  if (f.status !== undefined && f.status !== 'completed') return [`training ${f.status}`];
  const out: string[] = [];
  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));
  if (f.r2 !== undefined) {
    if (!(f.r2 >= bars.minR2)) out.push(`R² ${fmt(f.r2)} < ${bars.minR2}`);
    if (!(f.pearson! >= bars.minPearson)) out.push(`Pearson r ${fmt(f.pearson!)} < ${bars.minPearson}`);
    if (!(f.predStd! >= bars.minPredStdRatio * f.targetStd!))
      out.push(`prediction std ${fmt(f.predStd!)} < ${bars.minPredStdRatio}·target std ${fmt(f.targetStd!)}`);
  }
  if (f.accuracy !== undefined && f.majorityAccuracy !== undefined && !(f.accuracy >= f.majorityAccuracy + bars.minAccuracyGain))
    out.push(`accuracy ${fmt(f.accuracy)} < majority ${fmt(f.majorityAccuracy)} + ${bars.minAccuracyGain}`);
  return out;
}

/**
 * Train one configuration (the preset's trainer settings, `s.allowedRanks` as the rank of every layer, or
 * one rank per layer) with training seed `seed`, then predict the validation rows with the trained adapter
 * and compute the figures. The model's frozen weights are not changed; call it again for the next seed.
 */
export async function finetuneEval(model: RobertaModel, data: FinetuneData, s: RunSettings, seed: number, hooks: TrialHooks = {}): Promise<FinetuneFigures & { result: TrialResult }> {
  const L = model.layers.length;
  const ranks = s.allowedRanks.length === 1 ? new Array<number>(L).fill(s.allowedRanks[0]) : [...s.allowedRanks];
  if (ranks.length !== L) throw new Error(`give one rank, or one per layer (${L}); got ${s.allowedRanks.length}`);
  const base = trialSettings({ ...s, seed }, L, model.config.name, data.hasScore);
  const settings = { ...base, lora: { ...base.lora, ranks, alphas: s.alphaPerRank ? ranks.map((r) => Math.max(r, 1) * s.loraAlpha) : s.loraAlpha } };
  const t0 = performance.now();
  const result = await runTrial(model, data.trial, settings, hooks);
  const { train, val, numClasses } = data.trial;
  const fig: FinetuneFigures & { result: TrialResult } = {
    seed,
    status: result.status,
    trainRows: train.length,
    valRows: val.length,
    epochs: result.epochs.length,
    curve: result.epochs.map((e) => (data.hasScore ? e.val.mse! : e.val.accuracy!)),
    seconds: 0,
    tokensPerSec: result.timings.tokensPerSec,
    trainableParams: result.trainableParams,
    result,
  };
  if (result.reason) fig.reason = result.reason;
  if (result.status === 'completed' && result.adapter) {
    const preds = await predict(model, result.adapter, val.map((r) => r.ids), s.batchSize > 32 ? s.batchSize : 32);
    if (data.hasScore) {
      Object.assign(fig, scoreFigures(preds.map((p) => p.score!), val.map((r) => r.score!), train.map((r) => r.score!)));
    }
    if (data.hasLabel && numClasses > 0) {
      const argmax = (p: number[]) => p.indexOf(Math.max(...p));
      const cls = (r: { label?: number; score?: number }) => r.label ?? deriveClass(r.score!);
      Object.assign(fig, classFigures(preds.map((p) => argmax(p.probs!)), val.map(cls), train.map(cls), numClasses));
    }
  }
  fig.seconds = (performance.now() - t0) / 1000;
  return fig;
}
