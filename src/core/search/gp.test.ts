/**
 * The Gaussian process behind the bayes proposer: posterior mean and variance against a closed-form 1-D,
 * two-point case, interpolation of noise-free data, variance that shrinks at observed points, and expected
 * improvement against its textbook values, and a noise variance fitted by marginal likelihood that recovers
 * the noise share of data made with a known one.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { expectedImprovement, GaussianProcess, normCdf } from './gp';

/** Matérn 5/2 written out independently of gp.ts. */
const matern = (d: number, ell: number) => {
  const r = Math.abs(d) / ell;
  return (1 + Math.sqrt(5) * r + (5 / 3) * r * r) * Math.exp(-Math.sqrt(5) * r);
};

describe('GaussianProcess', () => {
  // Two points x = 0, 1 with y = 0, 1: standardised targets are −1, +1 around mean 0.5 with scale 0.5.
  const ell = 0.5;
  const noise = 1e-6;
  const gp = new GaussianProcess().fit([[0], [1]], [0, 1], { lengthScale: ell, noise });
  const k01 = matern(1, ell);
  const diag = 1 + noise + 1e-9; // the GP adds 1e-9 jitter on the diagonal

  /** Closed form for a 2×2 kernel matrix [[a, b], [b, a]]: K⁻¹ = [[a, −b], [−b, a]] / (a² − b²). */
  function posterior(x: number) {
    const k = [matern(x - 0, ell), matern(x - 1, ell)];
    const det = diag * diag - k01 * k01;
    const inv = [
      [diag / det, -k01 / det],
      [-k01 / det, diag / det],
    ];
    const ys = [-1, 1];
    const alpha = [inv[0][0] * ys[0] + inv[0][1] * ys[1], inv[1][0] * ys[0] + inv[1][1] * ys[1]];
    const mu = k[0] * alpha[0] + k[1] * alpha[1];
    const kInvK = k[0] * (inv[0][0] * k[0] + inv[0][1] * k[1]) + k[1] * (inv[1][0] * k[0] + inv[1][1] * k[1]);
    return { mean: 0.5 + 0.5 * mu, std: 0.5 * Math.sqrt(1 - kInvK) };
  }

  it('matches the closed-form posterior of a 1-D two-point case', () => {
    for (const x of [0.25, 0.5, 0.8, 1.7, -0.4]) {
      const want = posterior(x);
      const got = gp.predict([x]);
      expect(got.mean).toBeCloseTo(want.mean, 10);
      expect(got.std).toBeCloseTo(want.std, 10);
    }
    // By symmetry the midpoint mean is the sample mean; there k·K⁻¹·y = 0.
    expect(gp.predict([0.5]).mean).toBeCloseTo(0.5, 12);
    // Hand value at x = 0.25: μ = 0.5 + 0.5 (k(0.75) − k(0.25)) / (1 + noise − k(1)).
    const hand = 0.5 + (0.5 * (matern(0.75, ell) - matern(0.25, ell))) / (diag - k01);
    expect(gp.predict([0.25]).mean).toBeCloseTo(hand, 10);
  });

  it('interpolates noise-free training points and its variance collapses there', () => {
    const X = [[0], [0.3], [0.55], [1]];
    const y = [2, -1, 0.5, 3];
    const g = new GaussianProcess().fit(X, y, { lengthScale: 0.4, noise: 1e-6 });
    X.forEach((x, i) => {
      const p = g.predict(x);
      expect(p.mean).toBeCloseTo(y[i], 4);
      expect(p.std).toBeLessThan(0.01);
    });
    // Between points the variance is larger, and far away it returns to the prior (the sample std).
    const sd = Math.sqrt(y.reduce((a, v) => a + (v - 1.125) ** 2, 0) / y.length);
    expect(g.predict([0.8]).std).toBeGreaterThan(0.1);
    expect(g.predict([50]).std).toBeCloseTo(sd, 6);
    expect(g.predict([50]).mean).toBeCloseTo(1.125, 6);
  });

  it('shrinks the variance at a point once it is observed', () => {
    const before = new GaussianProcess().fit([[0], [1]], [1, 2], { lengthScale: 0.3, noise: 1e-3 });
    const after = new GaussianProcess().fit([[0], [1], [0.5]], [1, 2, 1.2], { lengthScale: 0.3, noise: 1e-3 });
    expect(after.predict([0.5]).std).toBeLessThan(before.predict([0.5]).std / 5);
  });

  it('prior offset: unexplored regions sit at mean + offset · std', () => {
    const g = new GaussianProcess().fit([[0], [1]], [0, 1], { lengthScale: 0.2, noise: 1e-6 }, 1);
    expect(g.predict([100]).mean).toBeCloseTo(1, 8);
    expect(g.predict([0]).mean).toBeCloseTo(0, 4);
  });

  it('picks hyper-parameters by marginal likelihood: a long length scale for a smooth trend, noise for scatter', () => {
    const X = Array.from({ length: 12 }, (_, i) => [i / 11]);
    const smooth = new GaussianProcess().fit(X, X.map(([x]) => x));
    expect(smooth.hyper.lengthScale).toBeGreaterThanOrEqual(0.9);
    expect(smooth.hyper.noise).toBeLessThanOrEqual(1e-3);
    const zigzag = X.map((_, i) => (i % 2 === 0 ? 1 : -1));
    const noisy = new GaussianProcess().fit(X, zigzag);
    expect(noisy.hyper.noise).toBeGreaterThanOrEqual(0.05);
  });

  /**
   * 40 seeded points in 2-D, a smooth function plus Gaussian noise whose variance is `ratio` × the function's.
   * The targets are standardised, so the fitted noise variance is the noise's share of the total variance,
   * ratio / (1 + ratio), to the resolution of the grid (…, 0.05, 0.2, 0.5, 1, 2, 5).
   */
  const fittedNoise = (ratio: number, seed: number) => {
    const rng = new Rng(seed);
    const X = Array.from({ length: 40 }, () => [rng.next(), rng.next()]);
    const f = X.map(([a, b]) => (ratio === Infinity ? 0 : Math.sin(3 * a) + Math.cos(2 * b)));
    const mean = f.reduce((a, b) => a + b, 0) / f.length;
    const signalVar = f.reduce((a, b) => a + (b - mean) ** 2, 0) / f.length;
    const sd = ratio === Infinity ? 1 : Math.sqrt(ratio * signalVar);
    return new GaussianProcess().fit(X, f.map((v) => v + sd * rng.normal())).hyper.noise;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  it('fits the noise by marginal likelihood: recovers a known noise share from small to noise ≥ signal', () => {
    for (const ratio of [0.05, 0.25, 1, 4]) {
      const share = ratio / (1 + ratio);
      const fitted = median([1, 2, 3, 4, 5].map((s) => fittedNoise(ratio, s)));
      expect(fitted, `noise/signal ${ratio}`).toBeGreaterThanOrEqual(share / 2);
      expect(fitted, `noise/signal ${ratio}`).toBeLessThanOrEqual(share * 2);
    }
    // Noise-free data: the smallest noise on the grid. Pure noise: all of the variance is noise.
    expect(fittedNoise(0, 1)).toBeLessThanOrEqual(1e-3);
    for (const s of [1, 2, 3]) expect(fittedNoise(Infinity, s)).toBeGreaterThanOrEqual(1);
  });

  it('per-input length scales (ard): an input that does not matter gets a longer scale than one that does', () => {
    const X: number[][] = [];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) X.push([i / 4, j / 4]);
    const y = X.map(([a, b]) => Math.sin(4 * a) + 0.001 * b);
    const g = new GaussianProcess().fit(X, y, undefined, 0, true);
    const ell = g.hyper.lengthScale as number[];
    expect(Array.isArray(ell)).toBe(true);
    expect(ell[1]).toBeGreaterThan(ell[0]);
  });
});

describe('GaussianProcess kernel choice', () => {
  // A 3-input grid like the rank landscapes' (3 groups × 4 ranks).
  const X: number[][] = [];
  for (const a of [0, 1 / 3, 2 / 3, 1]) for (const b of [0, 1 / 3, 2 / 3, 1]) for (const c of [0, 1 / 3, 2 / 3, 1]) X.push([a, b, c]);
  const sample = (f: (x: number[]) => number, seed: number) => {
    const rng = new Rng(seed);
    return rng.shuffle([...X]).slice(0, 24).map((x) => ({ x, y: f(x) + 0.02 * rng.normal() }));
  };
  const fitted = (f: (x: number[]) => number, seed: number, kernel: 'joint' | 'additive' | 'auto') => {
    const d = sample(f, seed);
    return new GaussianProcess().fit(d.map((p) => p.x), d.map((p) => p.y), undefined, 0, false, Infinity, kernel);
  };
  const additiveFn = (x: number[]) => Math.sin(3 * x[0]) + (x[1] - 0.4) ** 2 - 0.5 * x[2];
  // One peak in the joint space: which value of one input is good depends on the others.
  const interactingFn = (x: number[]) => -Math.exp(-((x[0] - x[1]) ** 2 + (x[1] + x[2] - 1) ** 2) / 0.05);

  it('the additive kernel is the mean of 1-D Matérn kernels over the inputs', () => {
    const g = new GaussianProcess().fit([[0, 0], [0.5, 1]], [0, 1], { lengthScale: 0.4, noise: 1e-6, additive: true });
    const k = (matern(0.5, 0.4) + matern(1, 0.4)) / 2;
    // Two points: the posterior mean at the second is the standardised target pulled by k; its std collapses.
    const other = g.predict([0.5, 0]);
    // [0.5, 0] shares input 0 with the second point and input 1 with the first.
    const k0 = (matern(0.5, 0.4) + 1) / 2;
    const k1 = (1 + matern(1, 0.4)) / 2;
    const diag = 1 + 1e-6 + 1e-9;
    const det = diag * diag - k * k;
    const alpha = [(diag * -1 - k * 1) / det, (-k * -1 + diag * 1) / det];
    expect(other.mean).toBeCloseTo(0.5 + 0.5 * (k0 * alpha[0] + k1 * alpha[1]), 8);
  });

  it("'auto' takes the additive kernel on an additive function and the joint one on an interacting function", () => {
    for (const seed of [1, 2, 3]) {
      expect(fitted(additiveFn, seed, 'auto').hyper.additive, `additive, seed ${seed}`).toBe(true);
      expect(fitted(interactingFn, seed, 'auto').hyper.additive ?? false, `interacting, seed ${seed}`).toBe(false);
      // And that is the higher marginal likelihood of the two.
      const a = fitted(additiveFn, seed, 'additive').lml;
      const j = fitted(additiveFn, seed, 'joint').lml;
      expect(a).toBeGreaterThan(j);
      expect(fitted(additiveFn, seed, 'auto').lml).toBeCloseTo(a, 12);
    }
  });

  it('the additive fit predicts an additive function better at configurations it has not seen', () => {
    const d = sample(additiveFn, 4);
    const seen = new Set(d.map((p) => p.x.join()));
    const unseen = X.filter((x) => !seen.has(x.join()));
    const err = (kernel: 'joint' | 'additive') => {
      const g = new GaussianProcess().fit(d.map((p) => p.x), d.map((p) => p.y), undefined, 0, false, Infinity, kernel);
      return unseen.reduce((s, x) => s + (g.predict(x).mean - additiveFn(x)) ** 2, 0);
    };
    expect(err('additive')).toBeLessThan(err('joint') / 2);
  });
});

describe('expected improvement', () => {
  it('matches its closed form d Φ(d/σ) + σ φ(d/σ)', () => {
    const phi0 = 1 / Math.sqrt(2 * Math.PI);
    expect(expectedImprovement(0, 1, 0)).toBeCloseTo(phi0, 6);
    // d = 1: Φ(1) + φ(1) = 0.8413447 + 0.2419707.
    expect(expectedImprovement(0, 1, 1)).toBeCloseTo(1.0833155, 6);
    expect(expectedImprovement(0, 2, 1, 0.5)).toBeCloseTo(0.5 * normCdf(0.25) + (2 * Math.exp(-0.03125)) / Math.sqrt(2 * Math.PI), 6);
    // No uncertainty: plain improvement, never negative.
    expect(expectedImprovement(1, 0, 2)).toBe(1);
    expect(expectedImprovement(3, 0, 2)).toBe(0);
    expect(normCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normCdf(-1.96)).toBeCloseTo(0.0249979, 6);
  });
});
