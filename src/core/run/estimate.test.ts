import { describe, expect, it } from 'vitest';
import { estimateEta, runEstimate } from './estimate';

describe('run estimate from a calibration', () => {
  it('is steps per trial × step time plus validation, times the trials', () => {
    const e = runEstimate({ msPerStep: 100, trainRows: 140, valRows: 20 }, { batchSize: 16, epochs: 2, maxEvals: 6 });
    expect(e.stepsPerTrial).toBe(9 * 2);
    // Validation: 2 batches per epoch, a third of a step each.
    expect(e.perTrialMs).toBeCloseTo(18 * 100 + (2 * 100 * 2) / 3, 6);
    expect(e.totalMs).toBeCloseTo(6 * e.perTrialMs, 6);
  });
});

describe('ETA during a run', () => {
  it('trial 1 has an ETA from its own steps', () => {
    const eta = estimateEta({ maxTrials: 4, finishedMs: [], current: { step: 4, totalSteps: 10, stepsTimed: 3, timedMs: 300 } })!;
    expect(eta.perTrialMs).toBe(1000);
    expect(eta.msPerStep).toBe(100);
    expect(eta.trialsLeft).toBe(4);
    // 6 steps of this trial + 3 whole trials of 10 steps.
    expect(eta.atMostMs).toBe(600 + 3 * 1000);
  });

  it('before any step is timed there is no ETA rather than a made-up one', () => {
    expect(estimateEta({ maxTrials: 4, finishedMs: [], current: { step: 1, totalSteps: 10, stepsTimed: 0, timedMs: 0 } })).toBeUndefined();
  });

  it('the last trial, just started, is not "0 s left"', () => {
    const eta = estimateEta({ maxTrials: 3, finishedMs: [1000, 1000], current: { step: 1, totalSteps: 10, stepsTimed: 0, timedMs: 0 }, msPerStep: 100 })!;
    expect(eta.trialsLeft).toBe(1);
    expect(eta.atMostMs).toBeGreaterThanOrEqual(900);
  });

  it('"at most" is never below the remaining steps × the measured step time', () => {
    // Earlier trials were fast (e.g. pruned early); this one's steps are slow.
    const eta = estimateEta({ maxTrials: 5, finishedMs: [50, 50], current: { step: 2, totalSteps: 20, stepsTimed: 1, timedMs: 400 } })!;
    expect(eta.msPerStep).toBe(400);
    expect(eta.atMostMs).toBeGreaterThanOrEqual((18 + 2 * 20) * 400);
  });

  it('between trials the previous trial’s step time and step count carry the estimate', () => {
    const eta = estimateEta({ maxTrials: 3, finishedMs: [2000], msPerStep: 200, stepsPerTrial: 10 })!;
    expect(eta.trialsLeft).toBe(2);
    expect(eta.atMostMs).toBe(4000);
  });
});
