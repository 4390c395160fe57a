/** Grid: every feasible combination of allowed ranks over the groups (odometer order, last group fastest). */
import { enumerateConfigs } from '../space';
import type { StrategyFn } from '../types';

export const grid: StrategyFn = async (ctx) => {
  for (const g of enumerateConfigs(ctx.space, ctx.budget)) await ctx.evaluate(g);
};
