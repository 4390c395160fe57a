/** Random search: distinct feasible configurations in a seeded random order. */
import type { StrategyFn } from '../types';
import { randomSource } from './common';

export const random: StrategyFn = async (ctx) => {
  const next = randomSource(ctx, ctx.rng.fork('random'));
  for (let g = next(); g; g = next()) await ctx.evaluate(g);
};
