/**
 * Helpers shared by strategies: candidate enumeration/sampling within budget and rank features.
 */
import type { Rng } from '../../util/rng';
import { configName, enumerateConfigs, gridSize, type SearchSpace } from '../space';
import type { StrategyContext } from '../types';

/** Spaces up to this many grid points are enumerated; larger ones are sampled. */
export const ENUMERATE_LIMIT = 50_000;

export function uniformGroups(space: SearchSpace, rank: number): number[] {
  return space.groups.map(() => rank);
}

/** All feasible grid configurations (only call when gridSize ≤ ENUMERATE_LIMIT). */
export function feasibleGrid(ctx: StrategyContext): number[][] {
  return [...enumerateConfigs(ctx.space, ctx.budget)];
}

export function randomGroups(space: SearchSpace, rng: Rng): number[] {
  return space.groups.map(() => rng.pick(space.allowedRanks));
}

/**
 * Endless source of distinct feasible grid configurations in a seeded random order; null when exhausted
 * (or, for huge spaces, after many consecutive misses). `exclude` names are never returned.
 */
export function randomSource(ctx: StrategyContext, rng: Rng): (exclude?: ReadonlySet<string>) => number[] | null {
  const given = new Set<string>();
  if (gridSize(ctx.space) <= ENUMERATE_LIMIT) {
    const pool = rng.shuffle(feasibleGrid(ctx));
    let i = 0;
    return (exclude) => {
      while (i < pool.length) {
        const g = pool[i++];
        const n = configName(g);
        if (!given.has(n) && !exclude?.has(n)) {
          given.add(n);
          return g;
        }
      }
      return null;
    };
  }
  return (exclude) => {
    for (let tries = 0; tries < 10_000; tries++) {
      const g = randomGroups(ctx.space, rng);
      const n = configName(g);
      if (given.has(n) || exclude?.has(n) || !ctx.feasible(g)) continue;
      given.add(n);
      return g;
    }
    return null;
  };
}

/**
 * Feature of a rank for surrogate models: position on a log scale between the smallest and largest
 * non-zero allowed ranks (0..1); rank 0 (no adapter) sits a quarter step below. Rank effects are
 * multiplicative (8 → 128 matters far more than 384 → 512), hence the log.
 */
export function rankFeature(space: SearchSpace, r: number): number {
  const nz = space.allowedRanks.filter((a) => a > 0);
  if (r <= 0) return -0.25;
  if (nz.length < 2) return 0.5;
  const lo = Math.log(nz[0]);
  const hi = Math.log(nz[nz.length - 1]);
  return (Math.log(r) - lo) / (hi - lo);
}

export function features(space: SearchSpace, groups: readonly number[]): number[] {
  return groups.map((r) => rankFeature(space, r));
}
