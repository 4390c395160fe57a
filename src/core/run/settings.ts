/**
 * What the user sets up for a search run, the presets (a quick look, the browser default, the paper's
 * setting), and validation that explains each bad field next to it. Plain data: stored with the run, sent to
 * the worker, summarised in share links.
 */
import { TARGET_MODULES, type TargetModule } from '../model/adapter';
import { costPerRank, targetShape, type ModelSize } from '../model/shape';
import { isScoreMetric, type ObjectiveMetric } from '../vocabulary';

import { STRATEGY_NAMES, type StrategyName } from '../search/types';

/** The search engine's strategies, in the order the UI lists them. */
export const STRATEGIES = STRATEGY_NAMES;
export type { StrategyName };

export const STRATEGY_LABELS: Record<StrategyName, string> = {
  uniform: 'Uniform (baseline: same rank everywhere)',
  grid: 'Grid (every combination)',
  random: 'Random search',
  coarse: 'DARSE coarse greedy (Alg. 1)',
  fine: 'DARSE coarse + fine (Alg. 2)',
  svd: 'SVD importance allocation',
  adarank: 'AdaRank prior (no training)',
  adalora: 'AdaLoRA in-training pruning',
  salientlora: 'SalientLoRA in-training pruning',
  halving: 'Successive halving / ASHA',
  bayes: 'Model-based (Bayesian) proposer',
};


export interface RunSettings {
  strategy: StrategyName;
  allowedRanks: number[];
  /** Number of contiguous layer groups sharing one rank (1..numLayers). */
  groups: number;
  /** Budget in trainable LoRA parameters; null = no budget. */
  budget: number | null;
  targets: TargetModule[];
  epochs: number;
  lr: number;
  batchSize: number;
  maxLength: number;
  weightDecay: number;
  warmupRatio: number;
  clipNorm: number;
  /** LoRA alpha; with alphaPerRank the alpha of a layer is loraAlpha × its rank. */
  loraAlpha: number;
  alphaPerRank: boolean;
  loraDropout: number;
  rslora: boolean;
  /** For score data: also train the derived 5-class head. */
  multitask: boolean;
  lossMode: 'constant' | 'adaptive';
  regWeight: number;
  clsWeight: number;
  metric: ObjectiveMetric;
  maxEvals: number;
  seed: number;
  valFraction: number;
}

export const PRESETS: Record<'quick' | 'browser' | 'paper', { label: string; settings: RunSettings }> = {
  quick: {
    label: 'Quick look',
    settings: {
      strategy: 'coarse', allowedRanks: [4, 8], groups: 2, budget: null, targets: ['attention.self.query', 'attention.self.value'],
      epochs: 1, lr: 2e-3, batchSize: 16, maxLength: 48, weightDecay: 0.01, warmupRatio: 0.1, clipNorm: 1,
      loraAlpha: 16, alphaPerRank: false, loraDropout: 0, rslora: false, multitask: true, lossMode: 'constant',
      regWeight: 0.75, clsWeight: 0.25, metric: 'mse', maxEvals: 6, seed: 42, valFraction: 0.1,
    },
  },
  browser: {
    label: 'Browser default',
    settings: {
      strategy: 'bayes', allowedRanks: [8, 16, 32, 64], groups: 3, budget: null, targets: ['attention.self.query', 'attention.self.value'],
      epochs: 3, lr: 1e-3, batchSize: 16, maxLength: 128, weightDecay: 0.01, warmupRatio: 0.06, clipNorm: 1,
      loraAlpha: 16, alphaPerRank: false, loraDropout: 0.05, rslora: false, multitask: true, lossMode: 'constant',
      regWeight: 0.75, clsWeight: 0.25, metric: 'mse', maxEvals: 16, seed: 42, valFraction: 0.1,
    },
  },
  paper: {
    label: 'Paper setting',
    settings: {
      strategy: 'coarse', allowedRanks: [128, 256, 384, 512], groups: 3, budget: null, targets: ['attention.self.query', 'attention.self.value'],
      epochs: 100, lr: 1e-5, batchSize: 10, maxLength: 512, weightDecay: 0.01, warmupRatio: 0.06, clipNorm: 1,
      loraAlpha: 16, alphaPerRank: false, loraDropout: 0.1, rslora: false, multitask: true, lossMode: 'constant',
      regWeight: 0.75, clsWeight: 0.25, metric: 'mse', maxEvals: 64, seed: 42, valFraction: 0.1,
    },
  },
};

/** What settings are checked against: the loaded model's size and its position table. */
export type SettingsModel = ModelSize & { maxPositions: number };

/** Field → message for every invalid setting (empty object = valid). */
export function validateSettings(s: RunSettings, m: SettingsModel, task: { hasScore: boolean; hasLabel: boolean }): Partial<Record<keyof RunSettings, string>> {
  const e: Partial<Record<keyof RunSettings, string>> = {};
  const int = (v: number) => Number.isInteger(v);
  if (!STRATEGIES.includes(s.strategy)) e.strategy = `Unknown strategy "${s.strategy}".`;
  if (!s.allowedRanks.length) e.allowedRanks = 'Give at least one allowed rank.';
  else if (!s.allowedRanks.every((r) => int(r) && r >= 0)) e.allowedRanks = 'Ranks must be whole numbers ≥ 0.';
  else if (s.allowedRanks.every((r) => r === 0)) e.allowedRanks = 'At least one rank must be above 0, or nothing is trained.';
  else {
    const maxUseful = Math.min(...s.targets.map((t) => Math.min(targetShape(t, m).in, targetShape(t, m).out)));
    const big = s.allowedRanks.filter((r) => r > maxUseful);
    if (big.length) e.allowedRanks = `Rank ${big.join(', ')} exceeds ${maxUseful}, the smallest side of a target matrix in this model: LoRA cannot use more.`;
  }
  if (!int(s.groups) || s.groups < 1 || s.groups > m.layers) e.groups = `Groups must be a whole number from 1 to ${m.layers} (the model's layers).`;
  if (!s.targets.length) e.targets = 'Pick at least one target module.';
  else if (!s.targets.every((t) => (TARGET_MODULES as readonly string[]).includes(t))) e.targets = 'Unknown target module.';
  if (s.budget !== null && (!(s.budget > 0) || !int(s.budget))) e.budget = 'Budget must be a positive whole number of parameters, or empty for no budget.';
  if (s.budget !== null && !e.budget && !e.allowedRanks && s.targets.length) {
    const cheapest = Math.min(...s.allowedRanks) * costPerRank(s.targets.map((t) => targetShape(t, m))) * m.layers;
    if (cheapest > s.budget) e.budget = `Even the smallest allowed rank everywhere costs ${cheapest.toLocaleString('en-US')} parameters, above this budget.`;
  }
  if (!int(s.epochs) || s.epochs < 1 || s.epochs > 1000) e.epochs = 'Epochs must be a whole number from 1 to 1000.';
  if (!(s.lr > 0 && s.lr < 1)) e.lr = 'Learning rate must be between 0 and 1 (e.g. 1e-3).';
  if (!int(s.batchSize) || s.batchSize < 1 || s.batchSize > 512) e.batchSize = 'Batch size must be a whole number from 1 to 512.';
  if (!int(s.maxLength) || s.maxLength < 8 || s.maxLength > m.maxPositions - 2) e.maxLength = `Max length must be from 8 to ${m.maxPositions - 2} tokens for this model.`;
  if (!(s.weightDecay >= 0 && s.weightDecay < 1)) e.weightDecay = 'Weight decay must be in [0, 1).';
  if (!(s.warmupRatio >= 0 && s.warmupRatio < 1)) e.warmupRatio = 'Warm-up ratio must be in [0, 1).';
  if (!(s.clipNorm > 0)) e.clipNorm = 'Gradient clipping norm must be above 0.';
  if (!(s.loraAlpha > 0)) e.loraAlpha = 'LoRA alpha must be above 0.';
  if (!(s.loraDropout >= 0 && s.loraDropout < 1)) e.loraDropout = 'LoRA dropout must be in [0, 1).';
  if (s.lossMode === 'constant' && !(s.regWeight >= 0 && s.clsWeight >= 0 && s.regWeight + s.clsWeight > 0))
    e.regWeight = 'Loss weights must be ≥ 0 and not both 0.';
  if (!int(s.maxEvals) || s.maxEvals < 1 || s.maxEvals > 10000) e.maxEvals = 'Max trials must be a whole number from 1 to 10000.';
  if (!int(s.seed) || s.seed < 0 || s.seed > 2 ** 32 - 1) e.seed = 'Seed must be a whole number from 0 to 4294967295.';
  if (!(s.valFraction > 0 && s.valFraction < 0.5)) e.valFraction = 'Validation share must be between 0 and 0.5.';
  const scoreMetric = isScoreMetric(s.metric);
  if (scoreMetric && !task.hasScore) e.metric = `${s.metric.toUpperCase()} needs a score column; this dataset has labels only — pick accuracy or F1.`;
  if (!scoreMetric && !task.hasLabel && !(task.hasScore && s.multitask)) e.metric = `${s.metric} needs classes: map a label column or turn on the derived 5-class head.`;
  return e;
}
