/**
 * Synthetic landscapes: cheap, seeded stand-ins for "validation MSE after fine-tuning" over group ranks,
 * with known optimum, deterministic noise and a fidelity effect (fewer epochs → higher, less reliable MSE).
 * For unit tests and the benchmark. Values sit near the seed paper's range (≈ 0.0175 at best).
 */
import { hashString, Rng } from '../util/rng';
import type { PruningResult, TrainingHooks } from './hooks';
import type { EvalResult, Fidelity, Objective } from './objective';
import { configName, enumerateConfigs, type RankConfig, type SearchSpace } from './space';
import { rankFeature } from './strategies/common';

export const LANDSCAPE_NAMES = ['bowl', 'paper', 'coupled', 'twopeaks', 'monotone', 'noisy'] as const;
export type LandscapeName = (typeof LANDSCAPE_NAMES)[number];

export const LANDSCAPE_INFO: Record<LandscapeName, string> = {
  bowl: 'separable quadratic bowl in log-rank with a random interior optimum',
  paper: 'asymmetric per-group valleys of unequal weight (under-ranking hurts more than over-ranking)',
  coupled: 'rotated quadratic: groups interact, so one-group-at-a-time search is misled',
  twopeaks: 'a broad local basin and a narrower, deeper global one',
  monotone: 'more rank is always better with diminishing returns; the budget decides',
  noisy: 'the bowl with five times the evaluation noise',
};

/** Best MSE of every landscape and the scale of its variation. */
const FLOOR = 0.0175;
const SCALE = 0.004;

export interface Landscape {
  name: LandscapeName;
  space: SearchSpace;
  seed: number;
  /** Noise std of one evaluation, in metric units. */
  noiseStd: number;
  /** Noiseless full-fidelity MSE. */
  value(groups: readonly number[]): number;
  /** Per-group importance in (0, 1]: what synthetic training hooks report (higher = wants more rank). */
  importance: number[];
}

function randomRotation(n: number, rng: Rng): number[][] {
  const Q: number[][] = [];
  for (let i = 0; i < n; i++) {
    let v = Array.from({ length: n }, () => rng.normal());
    for (const q of Q) {
      const d = v.reduce((a, x, k) => a + x * q[k], 0);
      v = v.map((x, k) => x - d * q[k]);
    }
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
    Q.push(v.map((x) => x / norm));
  }
  return Q;
}

export function createLandscape(name: LandscapeName, space: SearchSpace, seed = 0, noise = 0.02): Landscape {
  if (!LANDSCAPE_NAMES.includes(name)) throw new Error(`unknown landscape '${name}' (known: ${LANDSCAPE_NAMES.join(', ')})`);
  const rng = new Rng(`landscape:${name}:${seed}`);
  const G = space.groups.length;
  const u = (groups: readonly number[]) => groups.map((r) => rankFeature(space, r));
  const centre = Array.from({ length: G }, () => rng.uniform(0.15, 0.95));
  let value: (g: readonly number[]) => number;
  let importance = centre.map((c) => Math.max(0.05, c));
  let noiseStd = noise * SCALE;
  switch (name) {
    case 'bowl':
    case 'noisy': {
      value = (g) => FLOOR + (SCALE * u(g).reduce((a, x, i) => a + (x - centre[i]) ** 2, 0)) / G;
      if (name === 'noisy') noiseStd *= 5;
      break;
    }
    case 'paper': {
      const w = Array.from({ length: G }, () => rng.uniform(0.3, 1.5));
      value = (g) =>
        FLOOR +
        (SCALE *
          u(g).reduce((a, x, i) => {
            const d = x - centre[i];
            return a + w[i] * d * d * (d < 0 ? 2 : 0.6);
          }, 0)) /
          G;
      importance = centre.map((c, i) => Math.max(0.05, c * Math.min(1, w[i])));
      break;
    }
    case 'coupled': {
      const Q = randomRotation(G, rng);
      const lam = Array.from({ length: G }, (_, i) => 0.3 + (2.7 * i) / Math.max(1, G - 1));
      value = (g) => {
        const d = u(g).map((x, i) => x - centre[i]);
        let s = 0;
        Q.forEach((q, k) => {
          const p = q.reduce((a, x, i) => a + x * d[i], 0);
          s += lam[k] * p * p;
        });
        return FLOOR + (SCALE * s) / G;
      };
      break;
    }
    case 'twopeaks': {
      const other = centre.map((c) => (c > 0.55 ? rng.uniform(0.1, 0.35) : rng.uniform(0.7, 1)));
      value = (g) => {
        const x = u(g);
        const d1 = x.reduce((a, v, i) => a + (v - centre[i]) ** 2, 0) / G;
        const d2 = x.reduce((a, v, i) => a + (v - other[i]) ** 2, 0) / G;
        return FLOOR + SCALE * (1 - Math.exp(-d1 / 0.02) - 0.7 * Math.exp(-d2 / 0.12));
      };
      break;
    }
    case 'monotone': {
      const w = Array.from({ length: G }, () => rng.uniform(0.3, 1.5));
      value = (g) => FLOOR + (SCALE * u(g).reduce((a, x, i) => a + w[i] * Math.max(0, 1.25 - x) ** 1.5, 0)) / G;
      const wmax = Math.max(...w);
      importance = w.map((x) => x / wmax);
      break;
    }
  }
  return { name, space, seed, noiseStd, value, importance };
}

/** Gaussian noise that depends only on (landscape, noise seed, configuration, epochs): order-independent. */
function noiseFor(seed: number, label: string): number {
  return new Rng(hashString(`${seed}|${label}`)).normal();
}

/** Objective over a synthetic landscape. Reports mse, rmse, mae and r2 (from an assumed target variance). */
export class SyntheticObjective implements Objective {
  evaluations = 0;
  constructor(
    readonly landscape: Landscape,
    private readonly noiseSeed = 0,
  ) {}

  /** Value at a fidelity, before noise: the MSE gap of an unfinished training, config-dependent. */
  meanAt(groups: readonly number[], fidelity: Fidelity): number {
    const base = this.landscape.value(groups);
    const f = Math.min(1, fidelity.epochs / fidelity.maxEpochs);
    const x = groups.map((r) => rankFeature(this.landscape.space, r));
    const h = Math.sin(7 * x.reduce((a, v, i) => a + v * (i + 1), 0));
    return base + SCALE * 0.8 * (1 - f) ** 2 * (1 + 0.5 * h);
  }

  async evaluate(config: RankConfig, fidelity: Fidelity, signal?: AbortSignal): Promise<EvalResult> {
    if (signal?.aborted) throw new Error('aborted');
    this.evaluations++;
    const f = Math.min(1, fidelity.epochs / fidelity.maxEpochs);
    // Short trainings are noisier.
    const std = this.landscape.noiseStd * (1 + 2 * (1 - f));
    const mse = Math.max(1e-6, this.meanAt(config.groups, fidelity) + std * noiseFor(this.landscape.seed ^ this.noiseSeed, `${config.key}|${fidelity.epochs}`));
    const variance = 0.05;
    return { status: 'ok', metrics: { mse, rmse: Math.sqrt(mse), mae: 0.8 * Math.sqrt(mse), r2: 1 - mse / variance } };
  }
}

/** Feasible grid configurations sorted by true (noiseless) value, best first. */
export function rankedConfigs(landscape: Landscape, budget = Infinity): { groups: number[]; name: string; value: number }[] {
  const out = [...enumerateConfigs(landscape.space, budget)].map((g) => ({ groups: g, name: configName(g), value: landscape.value(g) }));
  out.sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : 1));
  return out;
}

/**
 * Fake training hooks whose measurements follow the landscape's group importance (with seeded noise), so
 * the svd / adarank / adalora / salientlora strategies can run in tests and benchmarks.
 */
export function syntheticHooks(landscape: Landscape, seed = 0, noise = 0.1): TrainingHooks {
  const space = landscape.space;
  const groupOf = (layer: number) => space.groups.findIndex((g) => layer >= g.start && layer < g.end);
  const imp = (layer: number) => landscape.importance[groupOf(layer)];
  return {
    async trainProbe(req) {
      const rng = new Rng(`probe:${landscape.seed}:${seed}:${req.seed}`);
      return {
        singularValues: Array.from({ length: space.numLayers }, (_, l) =>
          Array.from({ length: req.rank * space.targets.length }, (_, j) => Math.sqrt(imp(l)) * Math.exp(-j / Math.max(1, req.rank)) * (1 + noise * rng.normal())),
        ),
      };
    },
    async perturbationDistance(req) {
      const rng = new Rng(`perturb:${landscape.seed}:${seed}:${req.seed}:${req.layer}`);
      return Math.abs(imp(req.layer) * req.noiseStd * (1 + noise * rng.normal()));
    },
    async trainWithPruning(req): Promise<PruningResult> {
      const steps = 60;
      const ctl = req.createController(steps);
      const rng = new Rng(`prune:${landscape.seed}:${seed}:${req.seed}`);
      const T = space.targets.length;
      const R = req.initialRank;
      // Per-entry sensitivities of A [R, D] and B [D, R] (D = 4 stands in for the hidden size): every entry
      // of component c in a layer of importance i is i · e^(−c/R), with multiplicative noise.
      const D = 4;
      const entry = (i: number, c: number, s: number) => Math.max(0, i * Math.exp(-c / R) * (1 + noise * rng.normal()) * (1 + s / steps));
      for (let s = 0; s < steps; s++) {
        const loss = 0.05 * Math.exp(-s / 20) + 0.001 * rng.normal();
        const vals = Array.from({ length: space.numLayers * T }, (_, u) => {
          const i = imp(Math.floor(u / T));
          return Array.from({ length: R }, (_, c) => entry(i, c, s));
        });
        const elementSensitivity = Array.from({ length: space.numLayers * T }, (_, u) => {
          const i = imp(Math.floor(u / T));
          return {
            A: Array.from({ length: R * D }, (_, k) => entry(i, Math.floor(k / D), s)),
            B: Array.from({ length: D * R }, (_, k) => entry(i, k % R, s)),
          };
        });
        ctl.step(s, { elementSensitivity, singularValues: vals, loss });
      }
      return { keptPerUnit: ctl.keptPerUnit() };
    },
  };
}
