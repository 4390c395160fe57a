import { describe, expect, it } from 'vitest';
import { compareWithTrivial, compareWithUniform, fmtPair, fmtValue, metricLabel, noiseEstimate, paramsPhrase } from './verdict';
import { configName, pickBest, type ShareDoc, type ShareTrial, type TrivialBaseline } from '../share/schema';

/** A minimal results document: 2 groups, objective `metric`; trials as [ranks, params, value, curve?]. */
function doc(
  trials: [number[], number, number, number[]?][],
  opts: { metric?: string; direction?: 'min' | 'max'; baseline?: TrivialBaseline; extra?: (i: number) => Record<string, number> } = {},
): Pick<ShareDoc, 'trials' | 'best' | 'settings' | 'baseline'> {
  const metric = opts.metric ?? 'mse';
  const direction = opts.direction ?? 'min';
  const ts: ShareTrial[] = trials.map(([ranks, params, v, curve], i) => ({
    config: configName(ranks), ranks, params, metrics: { [metric]: v, ...(opts.extra?.(i) ?? {}) }, status: 'done', timeMs: 1, epochs: curve?.length ?? 1,
    ...(curve ? { curve } : {}),
  }));
  const best = pickBest(ts, { metric, direction });
  return {
    trials: ts,
    best: best ? { config: best.config, ranks: best.ranks, metrics: best.metrics } : null,
    settings: { objective: { metric, direction } } as ShareDoc['settings'],
    ...(opts.baseline ? { baseline: opts.baseline } : {}),
  };
}

describe('noiseEstimate (the documented rule)', () => {
  it('is 0.5 % of the larger value for MSE-like metrics and 0.5 % of 1 for bounded ones', () => {
    expect(noiseEstimate({ metric: 'mse', values: [0.1, 0.12] })).toBeCloseTo(0.0006, 12);
    expect(noiseEstimate({ metric: 'r2', values: [0.1, 0.12] })).toBeCloseTo(0.005, 12);
    expect(noiseEstimate({ metric: 'f1', values: [0.9, 0.2] })).toBeCloseTo(0.005, 12);
  });
  it('is at least one validation row for class metrics', () => {
    expect(noiseEstimate({ metric: 'accuracy', values: [0.5, 0.75], valRows: 4 })).toBe(0.25);
    expect(noiseEstimate({ metric: 'mse', values: [0.5, 0.75], valRows: 4 })).toBeCloseTo(0.00375, 12);
  });
  it('takes the wobble of the last 3 epochs when a curve has them', () => {
    // last 3 of [0.3, 0.2, 0.1, 0.12, 0.1]: sd of (0.1, 0.12, 0.1) = 0.0094281
    expect(noiseEstimate({ metric: 'mse', values: [0.1, 0.1], curves: [[0.3, 0.2, 0.1, 0.12, 0.1], undefined] })).toBeCloseTo(0.0094281, 6);
    // two epochs are not enough to say anything
    expect(noiseEstimate({ metric: 'mse', values: [0.1, 0.1], curves: [[0.3, 0.1]] })).toBeCloseTo(0.0005, 12);
  });
});

describe('compareWithUniform', () => {
  it('better: the best pattern beats the uniform one of the same cost by more than noise', () => {
    const v = compareWithUniform(doc([[[4, 8], 800, 0.1], [[8, 8], 1000, 0.112], [[4, 4], 600, 0.15]]));
    expect(v.kind).toBe('better');
    expect(v.diff).toBeCloseTo(0.012, 12);
    expect(v.text).toBe('4@8 beats uniform 8 by 0.012 MSE with 20 % fewer parameters.');
  });
  it('worse: when the best is uniform, says by how much the best non-uniform pattern loses', () => {
    const v = compareWithUniform(doc([[[4, 8], 800, 0.105], [[8, 8], 1000, 0.1], [[4, 4], 600, 0.15]]));
    expect(v.kind).toBe('worse');
    expect(v.diff).toBeCloseTo(-0.005, 12);
    expect(v.text).toBe('Uniform 8 is better than the best non-uniform pattern 4@8 by 0.005 MSE (4@8 uses 20 % fewer parameters).');
  });
  it('tie: a difference within noise is called a tie, whichever side is ahead', () => {
    const v = compareWithUniform(doc([[[4, 8], 800, 0.1], [[8, 8], 1000, 0.1003], [[4, 4], 600, 0.15]]));
    expect(v.kind).toBe('tie');
    expect(v.text).toMatch(/^4@8 and uniform 8 are tied: the difference \(0\.0003 MSE\) is within noise \(0\.00050\d\); 4@8 uses 20 % fewer parameters\.$/);
    const u = compareWithUniform(doc([[[4, 8], 800, 0.1003], [[8, 8], 1000, 0.1], [[4, 4], 600, 0.15]]));
    expect(u.kind).toBe('tie');
    expect(u.text).toMatch(/^Uniform 8 and the best non-uniform pattern 4@8 are tied/);
  });
  it('tie by noise from the curves: wobbling last epochs swallow a small lead', () => {
    const v = compareWithUniform(doc([[[4, 8], 800, 0.1, [0.2, 0.11, 0.09, 0.1]], [[8, 8], 1000, 0.103, [0.2, 0.1, 0.104, 0.103]], [[4, 4], 600, 0.15]]));
    expect(v.kind).toBe('tie');
  });
  it('all-equal: every trial within noise of every other (e.g. a model that learned nothing)', () => {
    const v = compareWithUniform(doc([[[4, 8], 800, 0.122], [[8, 8], 1000, 0.122], [[4, 4], 600, 0.122], [[8, 4], 800, 0.122]]));
    expect(v.kind).toBe('all-tied');
    expect(v.text).toBe('All 4 trials are within noise of each other (MSE spread 0, noise 0.00061): this search cannot tell the configurations apart, and the “best” is a tie.');
  });
  it('missing uniform: says there is none to compare with', () => {
    const v = compareWithUniform(doc([[[4, 8], 800, 0.1], [[8, 4], 800, 0.12]]));
    expect(v.kind).toBe('no-uniform');
    expect(v.text).toMatch(/No uniform configuration was evaluated/);
  });
  it('only uniform trials, a single trial, or none', () => {
    expect(compareWithUniform(doc([[[4, 4], 600, 0.1], [[8, 8], 1000, 0.12]])).kind).toBe('only-uniform');
    expect(compareWithUniform(doc([[[4, 8], 800, 0.1]])).kind).toBe('single');
    expect(compareWithUniform(doc([])).kind).toBe('none');
  });
  it('higher-is-better metrics: the sign follows the direction; a smaller uniform costs "more parameters"', () => {
    const v = compareWithUniform(doc([[[8, 16], 1200, 0.8], [[8, 8], 1000, 0.7], [[4, 4], 600, 0.5]], { metric: 'r2', direction: 'max' }));
    expect(v.kind).toBe('better');
    expect(v.diff).toBeCloseTo(0.1, 12);
    expect(v.text).toBe('8@16 beats uniform 8 by 0.1 R² with 20 % more parameters.');
  });
});

const scoreBaseline: TrivialBaseline = { metrics: { mse: 0.122, r2: -0.01, f1: 0.45, f1_macro: 0.25, accuracy: 0.6 }, mean: 0.07, majority: { index: 2, name: 'neutral' }, trainRows: 36, valRows: 40 };

describe('compareWithTrivial', () => {
  it('beats the mean predictor', () => {
    const v = compareWithTrivial(doc([[[4, 8], 800, 0.091], [[8, 8], 1000, 0.1]], { baseline: scoreBaseline }))!;
    expect(v.kind).toBe('beats');
    expect(v.text).toBe('The best trial beats the mean predictor: MSE 0.091 vs 0.122.');
  });
  it('does not beat predicting the mean: worse, or better only within noise', () => {
    const worse = compareWithTrivial(doc([[[4, 8], 800, 0.125], [[8, 8], 1000, 0.13]], { baseline: scoreBaseline }))!;
    expect(worse.kind).toBe('not-better');
    expect(worse.text).toBe('The best trial does not beat predicting the mean (MSE 0.125 vs 0.122): the model has learned nothing useful here.');
    const tie = compareWithTrivial(doc([[[4, 8], 800, 0.1219], [[8, 8], 1000, 0.13]], { baseline: scoreBaseline }))!;
    expect(tie.kind).toBe('not-better');
    expect(tie.text).toBe('The best trial does not beat predicting the mean (MSE 0.1219 vs 0.122, a difference within noise): the model has learned nothing useful here.');
  });
  it('labels: names the majority class, and flags a collapse that macro F1 shows', () => {
    const extra = () => ({ f1_macro: 0.25 });
    const v = compareWithTrivial(doc([[[4, 8], 800, 0.5], [[8, 8], 1000, 0.45]], { metric: 'f1', direction: 'max', baseline: scoreBaseline, extra }))!;
    expect(v.kind).toBe('beats');
    expect(v.text).toBe('The best trial beats the majority class “neutral”: weighted F1 0.5 vs 0.45.');
    expect(v.collapse).toBe('Its macro F1 (0.25) is no better than that of the majority class “neutral” (0.25): the classifier may be predicting one class only.');
    const ok = compareWithTrivial(doc([[[4, 8], 800, 0.5], [[8, 8], 1000, 0.45]], { metric: 'f1', direction: 'max', baseline: scoreBaseline, extra: () => ({ f1_macro: 0.4 }) }))!;
    expect(ok.collapse).toBeUndefined();
    const same = compareWithTrivial(doc([[[4, 8], 800, 0.45]], { metric: 'f1', direction: 'max', baseline: scoreBaseline }))!;
    expect(same.text).toBe('The best trial does not beat always predicting the majority class “neutral” (weighted F1 0.45 vs 0.45): the model has learned nothing useful here.');
  });
  it('unknown without a recorded baseline (older links) or without the metric', () => {
    expect(compareWithTrivial(doc([[[4, 8], 800, 0.1]]))!.kind).toBe('unknown');
    expect(compareWithTrivial(doc([[[4, 8], 800, 0.1]], { metric: 'mae', baseline: scoreBaseline }))!.kind).toBe('unknown');
    expect(compareWithTrivial(doc([]))).toBeUndefined();
  });
});

describe('formatting', () => {
  it('names metrics and formats values and parameter differences', () => {
    expect(metricLabel('f1')).toBe('weighted F1');
    expect(metricLabel('f1_macro')).toBe('macro F1');
    expect(fmtValue(0.091)).toBe('0.091');
    expect(fmtValue(0.12345)).toBe('0.123');
    expect(fmtPair(0.1219, 0.122)).toEqual(['0.1219', '0.122']);
    expect(fmtPair(0.5, 0.5)).toEqual(['0.5', '0.5']);
    expect(paramsPhrase(800, 1000)).toBe('20 % fewer parameters');
    expect(paramsPhrase(1000, 1000)).toBe('the same number of parameters');
    expect(paramsPhrase(1150, 1000)).toBe('15 % more parameters');
  });
});
