/** Uniform: the same rank in every group, each allowed non-zero rank within budget, smallest first. */
import type { StrategyFn } from '../types';
import { uniformGroups } from './common';

export const uniform: StrategyFn = async (ctx) => {
  for (const r of ctx.space.allowedRanks) {
    if (r === 0) continue;
    const g = uniformGroups(ctx.space, r);
    if (ctx.feasible(g)) await ctx.evaluate(g);
  }
};
