import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMetrics, type Metrics, type MetricsInput } from './metrics';

const DIR = join(__dirname, '../../../tests/fixtures/metrics');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('computeMetrics matches scikit-learn fixtures', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const f of files) {
    it(f, () => {
      const c = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as MetricsInput & { expected: Metrics };
      const got = computeMetrics({ scores: c.scores, classes: c.classes });
      expect(Object.keys(got).sort()).toEqual(Object.keys(c.expected).sort());
      for (const [k, v] of Object.entries(c.expected)) expect(Math.abs((got as Record<string, number>)[k] - v), k).toBeLessThan(1e-9);
    });
  }
});

describe('computeMetrics edge cases', () => {
  it('scores a class never predicted as precision 0 (no NaN)', () => {
    const m = computeMetrics({ classes: { true: [0, 0, 1, 1], pred: [0, 0, 0, 0], numClasses: 2 } });
    // class 0: p = 0.5, r = 1, f = 2/3; class 1: p = 0 (zero_division), r = 0, f = 0; weights 2/4 each.
    expect(m.precision).toBeCloseTo(0.25, 12);
    expect(m.recall).toBeCloseTo(0.5, 12);
    expect(m.f1).toBeCloseTo(1 / 3, 12);
    expect(m.accuracy).toBe(0.5);
  });
  it('macro F1 shows a collapse to the majority class that weighted F1 hides', () => {
    // 60 % class 0, always predicted: F1(0) = 12 / (12 + 4) = 0.75, the other classes score 0.
    const m = computeMetrics({ classes: { true: [0, 0, 0, 0, 0, 0, 1, 1, 2, 2], pred: new Array(10).fill(0), numClasses: 3 } });
    expect(m.f1).toBeCloseTo(0.6 * 0.75, 12);
    expect(m.f1_macro).toBeCloseTo(0.75 / 3, 12);
  });
  it('macro F1 averages over y_true ∪ y_pred only: a class in neither does not dilute it', () => {
    const m = computeMetrics({ classes: { true: [0, 1], pred: [0, 1], numClasses: 5 } });
    expect(m.f1_macro).toBe(1);
  });
  it('rejects mismatched lengths and out-of-range classes with a message', () => {
    expect(() => computeMetrics({ scores: { true: [1, 2], pred: [1] } })).toThrow(/1 predicted scores for 2/);
    expect(() => computeMetrics({ classes: { true: [0, 3], pred: [0, 1], numClasses: 3 } })).toThrow(/true class 3 at position 1/);
  });
});
