import { describe, expect, it } from 'vitest';
import { runBaseline, splitTargets, trivialBaseline } from './baseline';
import { trivialBaselineSchema } from '../share/schema';
import type { DataRow } from '../data/types';
import { splitRows } from '../data/split';

describe('trivialBaseline', () => {
  it('scores: predicts the training mean for every validation row (MSE, R² like sklearn)', () => {
    const train = [{ score: 0 }, { score: 1 }, { score: 0.5 }, { score: 0.5 }]; // mean 0.5
    const val = [{ score: 0 }, { score: 1 }];
    const b = trivialBaseline(train, val, { numClasses: 0, derivedClasses: false })!;
    expect(b.mean).toBe(0.5);
    expect(b.metrics.mse).toBeCloseTo(0.25, 12);
    expect(b.metrics.mae).toBeCloseTo(0.5, 12);
    expect(b.metrics.r2).toBeCloseTo(0, 12); // validation mean = training mean: exactly 0
    expect(b.majority).toBeUndefined();
    expect(b.trainRows).toBe(4);
    expect(b.valRows).toBe(2);
    // A training mean away from the validation mean: R² slightly below 0.
    expect(trivialBaseline([{ score: 0.2 }], val, { numClasses: 0, derivedClasses: false })!.metrics.r2).toBeCloseTo(1 - (0.04 + 0.64) / 2 / 0.25, 12);
  });
  it('labels: predicts the majority class of the training rows (ties: lowest id), scored on validation', () => {
    const train = [{ label: 1 }, { label: 1 }, { label: 0 }, { label: 2 }, { label: 2 }];
    const val = [{ label: 1 }, { label: 1 }, { label: 1 }, { label: 0 }, { label: 2 }];
    const b = trivialBaseline(train, val, { numClasses: 3, derivedClasses: false, classNames: ['neg', 'neu', 'pos'] })!;
    expect(b.majority).toEqual({ index: 1, name: 'neu' });
    expect(b.mean).toBeUndefined();
    expect(b.metrics.accuracy).toBeCloseTo(0.6, 12);
    // class 1: tp 3, fp 2, fn 0 → F1 = 6 / 8 = 0.75; weighted 0.6 · 0.75; macro 0.75 / 3
    expect(b.metrics.f1).toBeCloseTo(0.45, 12);
    expect(b.metrics.f1_macro).toBeCloseTo(0.25, 12);
    expect(b.metrics.mse).toBeUndefined();
  });
  it('derived classes: rows with only a score get the class of their score, as the trainer labels them', () => {
    const train = [{ score: 0.9 }, { score: 0.8 }, { score: -0.9 }];
    const val = [{ score: 0.7 }, { score: 0 }];
    const b = trivialBaseline(train, val, { numClasses: 5, derivedClasses: true })!;
    expect(b.majority!.index).toBe(4);
    expect(b.majority!.name).toBe('class 4');
    expect(b.metrics.accuracy).toBe(0.5);
    expect(b.mean).toBeCloseTo(0.8 / 3, 12);
  });
  it('five written classes are not the derived ones: a row without its label gets none from its score', () => {
    const train = [{ score: 0.9, label: 0 }, { score: 0.8 }, { score: 0.7 }];
    const val = [{ score: 0.7, label: 0 }, { score: 0.6 }];
    const b = trivialBaseline(train, val, { numClasses: 5, derivedClasses: false, classNames: ['a', 'b', 'c', 'd', 'e'] })!;
    expect(b.majority).toEqual({ index: 0, name: 'a' });
    expect(b.metrics.accuracy).toBe(1);
  });
  it('nothing to score: undefined', () => {
    expect(trivialBaseline([{ score: 1 }], [], { numClasses: 0, derivedClasses: false })).toBeUndefined();
    expect(trivialBaseline([{}], [{}], { numClasses: 3, derivedClasses: false })).toBeUndefined();
  });
  it('fits the share schema', () => {
    const b = trivialBaseline([{ score: 0.1, label: 0 }, { score: 0.3, label: 1 }, { score: 0.2, label: 1 }], [{ score: 0.2, label: 1 }], { numClasses: 2, derivedClasses: false, classNames: ['a', 'b'] });
    expect(trivialBaselineSchema.safeParse(b).success).toBe(true);
  });
});

describe('runBaseline: on the run’s own seeded split', () => {
  const rows: DataRow[] = Array.from({ length: 50 }, (_, i) => ({ line: i + 2, text: `t${i}`, score: (i % 10) / 10, label: i % 3 === 0 ? 'a' : 'b' }));
  const s = { seed: 5, valFraction: 0.2, multitask: true };
  it('uses exactly the rows splitTargets gives the trials', () => {
    const t = splitTargets(rows, { task: 'both', labels: ['a', 'b'] }, s);
    expect(t.val.length).toBe(10);
    // The seeded split every trial trains on (prepareTrialData uses splitTargets too).
    expect(t.valIndex).toEqual(splitRows(rows, { seed: 5, valFraction: 0.2, useSplitColumn: false }).val);
    expect(t.val).toEqual(t.valIndex.map((i) => ({ score: rows[i].score, label: rows[i].label === 'a' ? 0 : 1 })));
    const b = runBaseline(rows, { task: 'both', labels: ['a', 'b'] }, s)!;
    const mean = t.train.reduce((a, r) => a + r.score!, 0) / t.train.length;
    expect(b.mean).toBeCloseTo(mean, 12);
    expect(b.metrics.mse).toBeCloseTo(t.val.reduce((a, r) => a + (r.score! - mean) ** 2, 0) / t.val.length, 12);
    expect(b.majority!.name).toBe('b');
    expect(b.trainRows + b.valRows).toBe(50);
  });
  it('score-only with the derived head: 5 classes; without it: no classes', () => {
    expect(runBaseline(rows, { task: 'score' }, s)!.majority).toBeDefined();
    expect(runBaseline(rows, { task: 'score' }, { ...s, multitask: false })!.majority).toBeUndefined();
    expect(runBaseline(rows, { task: 'label', labels: ['a', 'b'] }, s)!.mean).toBeUndefined();
  });
});
