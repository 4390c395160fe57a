/** The lab's shared words: metric directions, trial states across storage/search/results, derived classes. */
import { describe, expect, it } from 'vitest';
import {
  CLASS_METRICS,
  deriveClass,
  DERIVED_THRESHOLDS,
  isBetter,
  METRIC_NAMES,
  metricDirection,
  OBJECTIVE_METRICS,
  SCORE_METRICS,
  SHARED_TRIAL_STATUSES,
  sharedTrialStatus,
} from './vocabulary';

describe('metrics', () => {
  it('errors are minimised, R² and the class metrics maximised, whatever the prefix', () => {
    for (const m of SCORE_METRICS) expect(metricDirection(m), m).toBe(m === 'r2' ? 'max' : 'min');
    for (const m of CLASS_METRICS) expect(metricDirection(m), m).toBe('max');
    expect(metricDirection('val_mse')).toBe('min');
    expect(metricDirection('eval.macro_f1')).toBe('max');
    expect(metricDirection('train_loss')).toBe('min');
  });

  it('refuses an unknown metric instead of guessing its direction', () => {
    expect(() => metricDirection('mse2')).toThrow(/unknown metric 'mse2'/);
  });

  it('every objective a user can pick is a known metric, listed once', () => {
    for (const m of OBJECTIVE_METRICS) expect(METRIC_NAMES).toContain(m);
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
  });

  it('compares in the direction given; NaN never wins', () => {
    expect(isBetter(0.1, 0.2, 'min')).toBe(true);
    expect(isBetter(0.1, 0.2, 'max')).toBe(false);
    expect(isBetter(NaN, 0.2, 'max')).toBe(false);
  });
});

describe('trial states', () => {
  it('a finished trial is done at full fidelity and pruned below it, from the store or the search engine', () => {
    expect(sharedTrialStatus('done', 3, 3)).toBe('done');
    expect(sharedTrialStatus('ok', 3, 3)).toBe('done');
    expect(sharedTrialStatus('done', 1, 3)).toBe('pruned');
    expect(sharedTrialStatus('ok', 1, 3)).toBe('pruned');
  });

  it('cancelled counts as failed; the other states keep their names', () => {
    expect(sharedTrialStatus('cancelled', 1, 3)).toBe('failed');
    for (const s of ['queued', 'running', 'failed', 'skipped'] as const) expect(sharedTrialStatus(s, 0, 3)).toBe(s);
  });

  it('keeps the order share links encode statuses by', () => {
    expect(SHARED_TRIAL_STATUSES).toEqual(['done', 'pruned', 'failed', 'running', 'queued', 'skipped']);
  });
});

describe('derived classes', () => {
  it('cuts a score at the seed paper thresholds, the middle class closed on both sides', () => {
    expect(DERIVED_THRESHOLDS).toEqual([-0.5, -0.049, 0.049, 0.5]);
    expect([0.51, 0.5, 0.05, 0.049, 0, -0.049, -0.05, -0.5, -0.51].map((y) => deriveClass(y))).toEqual([4, 3, 3, 2, 2, 2, 1, 1, 0]);
    expect(deriveClass(0.2, [-0.25, -0.1, 0.1, 0.25])).toBe(3);
  });

  it('has no class for a score that is not a number', () => {
    expect(() => deriveClass(NaN)).toThrow(/Cannot derive a class from score NaN/);
  });
});
