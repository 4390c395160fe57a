/**
 * What a results document means, in plain sentences: does the best trial beat the trivial baseline (the
 * mean / majority-class predictor), and does the best pattern beat the uniform configuration of the same
 * cost, or is the difference noise? Pure functions of the document (no tensors, no storage), used by the
 * Results page for local runs, share links and imported files alike.
 *
 * The noise rule (`noiseEstimate`): a difference |d| counts as real only when it exceeds the largest of
 *  (a) 0.5 % of the metric's scale: 1 for R², accuracy, precision, recall and F1 (all within [0, 1]), the
 *      larger of the two absolute values compared for MSE / MAE / RMSE (whose scale is the target's);
 *  (b) for class metrics, when the number n of validation rows is known: 1 / n, the change one validation
 *      row makes to an accuracy (a single row is no evidence);
 *  (c) for each trial compared whose per-epoch validation curve has at least 3 epochs: the standard
 *      deviation of its last 3 values, the epoch-to-epoch wobble near the end of training.
 * Otherwise the two are a tie, and the sentences say so.
 */
import { pickBest, type ShareDoc, type ShareTrial } from '../share/schema';
import { uniformBaseline } from './results';
import { CLASS_METRICS, isClassMetric } from '../vocabulary';

export const NOISE_RULE = { relative: 0.005, lastEpochs: 3 } as const;

/** Metrics on a 0–1 scale (R² at most 1): their noise threshold is relative to 1, not to the values seen. */
const BOUNDED = new Set<string>(['r2', ...CLASS_METRICS]);
const LABELS: Record<string, string> = {
  mse: 'MSE',
  mae: 'MAE',
  rmse: 'RMSE',
  r2: 'R²',
  accuracy: 'accuracy',
  precision: 'weighted precision',
  recall: 'weighted recall',
  f1: 'weighted F1',
  f1_macro: 'macro F1',
};

/** How a metric is named in a sentence (`f1` is the weighted F1, `f1_macro` the macro F1). */
export function metricLabel(metric: string): string {
  return LABELS[metric] ?? metric;
}

/** A metric value for a sentence: 3 significant digits, trailing zeros dropped (0.0910 → "0.091"). */
export function fmtValue(x: number, digits = 3): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** Two values with just enough digits (3 to 6) that different numbers do not print the same. */
export function fmtPair(a: number, b: number): [string, string] {
  for (let d = 3; d < 6; d++) if (a === b || fmtValue(a, d) !== fmtValue(b, d)) return [fmtValue(a, d), fmtValue(b, d)];
  return [fmtValue(a, 6), fmtValue(b, 6)];
}

function sd(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

export interface NoiseInput {
  metric: string;
  /** The values being compared (their size sets the scale of MSE-like metrics). */
  values: readonly number[];
  /** Per-epoch validation curves of the trials compared, where known. */
  curves?: readonly (readonly number[] | undefined)[];
  /** Validation rows, where known (the trivial baseline records it). */
  valRows?: number;
}

/** The smallest difference of `metric` taken as real (see the rule at the top of this file). */
export function noiseEstimate({ metric, values, curves = [], valRows }: NoiseInput): number {
  const finite = values.filter(Number.isFinite);
  const scale = BOUNDED.has(metric) ? 1 : Math.max(0, ...finite.map(Math.abs));
  let noise = NOISE_RULE.relative * scale;
  if (isClassMetric(metric) && valRows && valRows > 0) noise = Math.max(noise, 1 / valRows);
  for (const c of curves) {
    const tail = (c ?? []).slice(-NOISE_RULE.lastEpochs).filter(Number.isFinite);
    if (tail.length >= NOISE_RULE.lastEpochs) noise = Math.max(noise, sd(tail));
  }
  return noise;
}

/** |d| within noise (with a hair of tolerance for rounding, so one validation row exactly is a tie). */
const withinNoise = (d: number, noise: number) => Math.abs(d) <= noise * (1 + 1e-9) + 1e-15;

/** How much better `a` is than `b` (positive: a is better), whichever direction the metric goes. */
const gain = (a: number, b: number, direction: 'min' | 'max') => (direction === 'min' ? b - a : a - b);

const isUniform = (t: Pick<ShareTrial, 'ranks'>) => t.ranks.every((r) => r === t.ranks[0]);
const uniformName = (t: Pick<ShareTrial, 'ranks'>) => `uniform ${t.ranks[0]}`;

/** "20 % fewer parameters" / "15 % more parameters" / "the same number of parameters" (a relative to ref). */
export function paramsPhrase(params: number, ref: number): string {
  if (params === ref || (ref > 0 && Math.abs(params - ref) / ref < 0.005)) return 'the same number of parameters';
  if (ref <= 0) return 'more parameters';
  const pct = Math.round((100 * Math.abs(params - ref)) / ref);
  return `${pct} % ${params < ref ? 'fewer' : 'more'} parameters`;
}

export type UniformVerdictKind = 'better' | 'worse' | 'tie' | 'all-tied' | 'no-uniform' | 'only-uniform' | 'single' | 'none';
export interface UniformVerdict {
  kind: UniformVerdictKind;
  text: string;
  /** Signed difference on the objective, positive when the non-uniform pattern is better. */
  diff?: number;
  noise?: number;
}

type Doc = Pick<ShareDoc, 'trials' | 'best' | 'settings' | 'baseline'>;

/** The trials the best is chosen from: completed ones with the metric, else any with it (as pickBest). */
function comparable(doc: Doc): ShareTrial[] {
  const metric = doc.settings.objective.metric;
  const has = (t: ShareTrial) => Number.isFinite(t.metrics[metric]);
  const done = doc.trials.filter((t) => t.status === 'done' && has(t));
  return done.length ? done : doc.trials.filter(has);
}

/** The trial `doc.best` names (the one with its metric value when a configuration ran at several fidelities). */
function bestTrialOf(doc: Doc): ShareTrial | undefined {
  if (!doc.best) return undefined;
  const metric = doc.settings.objective.metric;
  const same = doc.trials.filter((t) => t.config === doc.best!.config);
  return same.find((t) => t.metrics[metric] === doc.best!.metrics[metric]) ?? same[0];
}

/**
 * The best pattern against the uniform configuration of (at least) its cost, as one sentence: better by how
 * much and at what parameter count, worse, or tied within noise; or that every trial is within noise of
 * every other, or that there is no uniform trial to compare with.
 */
export function compareWithUniform(doc: Doc): UniformVerdict {
  const { metric, direction } = doc.settings.objective;
  const M = metricLabel(metric);
  const pool = comparable(doc);
  const best = bestTrialOf(doc);
  const bestValue = doc.best?.metrics[metric];
  if (!doc.best || !best || bestValue === undefined || !Number.isFinite(bestValue))
    return { kind: 'none', text: `No trial finished with a ${M} value, so there is nothing to compare.` };
  if (pool.length < 2) return { kind: 'single', text: `Only one configuration (${best.config}) has a ${M} value: there is nothing to compare it with.` };

  const values = pool.map((t) => t.metrics[metric]);
  const spread = Math.max(...values) - Math.min(...values);
  const allNoise = noiseEstimate({ metric, values, curves: pool.map((t) => t.curve), valRows: doc.baseline?.valRows });
  if (withinNoise(spread, allNoise))
    return {
      kind: 'all-tied',
      text: `All ${pool.length} trials are within noise of each other (${M} spread ${fmtValue(spread)}, noise ${fmtValue(allNoise)}): this search cannot tell the configurations apart, and the “best” is a tie.`,
      diff: 0,
      noise: allNoise,
    };

  const compare = (pattern: ShareTrial, uniform: ShareTrial) => {
    const a = pattern.metrics[metric];
    const b = uniform.metrics[metric];
    const diff = gain(a, b, direction);
    const noise = noiseEstimate({ metric, values: [a, b], curves: [pattern.curve, uniform.curve], valRows: doc.baseline?.valRows });
    return { diff, noise, d: fmtValue(Math.abs(diff)), n: fmtValue(noise), params: paramsPhrase(pattern.params, uniform.params) };
  };

  if (!isUniform(best)) {
    const u = uniformBaseline(doc as ShareDoc);
    if (!u)
      return {
        kind: 'no-uniform',
        text: 'No uniform configuration was evaluated in this run, so the best pattern cannot be compared with one; run the “uniform” strategy to compare.',
      };
    const c = compare(best, u);
    if (withinNoise(c.diff, c.noise))
      return { kind: 'tie', diff: c.diff, noise: c.noise, text: `${best.config} and ${uniformName(u)} are tied: the difference (${c.d} ${M}) is within noise (${c.n}); ${best.config} uses ${c.params}.` };
    if (c.diff > 0) return { kind: 'better', diff: c.diff, noise: c.noise, text: `${best.config} beats ${uniformName(u)} by ${c.d} ${M} with ${c.params}.` };
    return { kind: 'worse', diff: c.diff, noise: c.noise, text: `${capitalise(uniformName(u))} is better than the best non-uniform pattern ${best.config} by ${c.d} ${M} (${best.config} uses ${c.params}).` };
  }

  // The best is itself uniform: the question becomes how close the best non-uniform pattern came.
  const nonUniform = pickBest(pool.filter((t) => !isUniform(t)), { metric, direction });
  if (!nonUniform) return { kind: 'only-uniform', text: `Only uniform configurations were evaluated; the best is ${uniformName(best)}.` };
  const c = compare(nonUniform, best);
  if (withinNoise(c.diff, c.noise))
    return {
      kind: 'tie', diff: c.diff, noise: c.noise,
      text: `${capitalise(uniformName(best))} and the best non-uniform pattern ${nonUniform.config} are tied: the difference (${c.d} ${M}) is within noise (${c.n}); ${nonUniform.config} uses ${c.params}.`,
    };
  return { kind: 'worse', diff: c.diff, noise: c.noise, text: `${capitalise(uniformName(best))} is better than the best non-uniform pattern ${nonUniform.config} by ${c.d} ${M} (${nonUniform.config} uses ${c.params}).` };
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export type TrivialVerdictKind = 'beats' | 'not-better' | 'unknown';
export interface TrivialVerdict {
  kind: TrivialVerdictKind;
  text: string;
  /** Signed difference on the objective, positive when the best trial is better than the baseline. */
  diff?: number;
  noise?: number;
  /** A second sentence when the classes' macro F1 is no better than the majority class's (a collapse). */
  collapse?: string;
}

/**
 * The best trial against the trivial baseline on the objective: "beats the mean predictor: MSE 0.091 vs
 * 0.122", or "does not beat predicting the mean: … learned nothing useful here" (a difference within noise
 * does not count as beating it). Undefined when no trial has the objective value.
 */
export function compareWithTrivial(doc: Doc): TrivialVerdict | undefined {
  const { metric, direction } = doc.settings.objective;
  const M = metricLabel(metric);
  const bestValue = doc.best?.metrics[metric];
  if (!doc.best || bestValue === undefined || !Number.isFinite(bestValue)) return undefined;
  const cls = isClassMetric(metric);
  const base = doc.baseline;
  const trivialValue = base?.metrics[metric];
  if (!base || trivialValue === undefined || !Number.isFinite(trivialValue))
    return {
      kind: 'unknown',
      text: `No trivial baseline (${cls ? 'the majority class' : 'the mean'} of the training rows) is recorded with these results, so whether the best trial beats ${cls ? 'always predicting the majority class' : 'predicting the mean'} is unknown.`,
    };
  const majority = base.majority ? `the majority class “${base.majority.name}”` : 'the majority class';
  const noun = cls ? majority : 'the mean predictor';
  const action = cls ? `always predicting ${majority}` : 'predicting the mean';
  const curve = bestTrialOf(doc)?.curve;
  const diff = gain(bestValue, trivialValue, direction);
  const noise = noiseEstimate({ metric, values: [bestValue, trivialValue], curves: [curve], valRows: base.valRows });
  const [b, t] = fmtPair(bestValue, trivialValue);
  const out: TrivialVerdict =
    diff > 0 && !withinNoise(diff, noise)
      ? { kind: 'beats', diff, noise, text: `The best trial beats ${noun}: ${M} ${b} vs ${t}.` }
      : {
          kind: 'not-better', diff, noise,
          text: `The best trial does not beat ${action} (${M} ${b} vs ${t}${diff > 0 ? ', a difference within noise' : ''}): the model has learned nothing useful here.`,
        };
  const bm = doc.best.metrics.f1_macro;
  const tm = base.metrics.f1_macro;
  if (metric !== 'f1_macro' && Number.isFinite(bm) && Number.isFinite(tm)) {
    const n = noiseEstimate({ metric: 'f1_macro', values: [bm, tm], valRows: base.valRows });
    if (bm - tm <= 0 || withinNoise(bm - tm, n)) {
      const [x, y] = fmtPair(bm, tm);
      out.collapse = `Its macro F1 (${x}) is no better than that of ${majority} (${y}): the classifier may be predicting one class only.`;
    }
  }
  return out;
}
