import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { adaptiveTaskWeights, classWeightsFromLabels, crossEntropyLoss, minorityClasses } from './losses';
import { cosineWithWarmup } from './schedule';

describe('losses', () => {
  it('computes cross-entropy with torch class-weight semantics', async () => {
    await tf.setBackend('cpu');
    const logits = [[2, 0, -1], [0.5, 0.2, 0.1], [-1, 3, 0]];
    const y = [0, 2, 1];
    const w = [0.5, 2, 1];
    const nll = logits.map((l, i) => Math.log(l.reduce((s, v) => s + Math.exp(v), 0)) - l[y[i]]);
    const expected = nll.reduce((s, v, i) => s + w[y[i]] * v, 0) / y.reduce((s, c) => s + w[c], 0);
    const oh = tf.oneHot(y, 3).toFloat() as tf.Tensor2D;
    const got = crossEntropyLoss(tf.tensor2d(logits), oh, tf.tensor1d(w)).dataSync()[0];
    expect(got).toBeCloseTo(expected, 5);
    const plain = crossEntropyLoss(tf.tensor2d(logits), oh).dataSync()[0];
    expect(plain).toBeCloseTo(nll.reduce((a, b) => a + b) / 3, 5);
  });

  it('weights classes by inverse frequency (clipped) and flags minority classes', () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2];
    const w = classWeightsFromLabels(labels, 4, [0.2, 3]);
    expect(w[0]).toBeCloseTo(11 / (3 * 8));
    expect(w[1]).toBeCloseTo(11 / 6);
    expect(w[2]).toBe(3); // 11/3 clipped
    expect(w[3]).toBe(1); // absent
    expect(minorityClasses(labels, 4)).toEqual([false, false, true, false]);
  });

  it('adaptive task weights favour the task with the smaller smoothed gradient norm and sum to 1', () => {
    let st = { ema: null as [number, number] | null };
    const r1 = adaptiveTaskWeights(st, [2, 1]);
    expect(r1.weights[0] + r1.weights[1]).toBeCloseTo(1);
    expect(r1.weights[1]).toBeCloseTo(2 / 3);
    st = r1.state;
    const r2 = adaptiveTaskWeights(st, [1, 1], 0.5);
    expect(r2.state.ema).toEqual([1.5, 1]);
  });
});

describe('schedule', () => {
  it('matches transformers get_cosine_schedule_with_warmup under LambdaLR', () => {
    expect(cosineWithWarmup(0, 2, 10)).toBe(0);
    expect(cosineWithWarmup(1, 2, 10)).toBe(0.5);
    expect(cosineWithWarmup(2, 2, 10)).toBe(1);
    expect(cosineWithWarmup(6, 2, 10)).toBeCloseTo(0.5);
    expect(cosineWithWarmup(10, 2, 10)).toBeCloseTo(0);
    expect(cosineWithWarmup(0, 0, 10)).toBe(1);
  });
});
