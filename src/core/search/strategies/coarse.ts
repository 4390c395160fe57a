/**
 * DARSE Algorithm 1, coarse greedy search: start from the smallest allowed rank everywhere; for each group in
 * turn try every allowed rank with the others fixed and keep the best; repeat passes until a pass improves
 * the best by no more than ε or after maxPasses. Infeasible candidates are skipped; already evaluated ones
 * come from the cache, so a pass only pays for new configurations.
 */
import type { EvalRecord, StrategyContext, StrategyFn } from '../types';

export interface GreedyResult {
  groups: number[];
  record: EvalRecord | undefined;
}

/** Coordinate-wise greedy over `values(group, current)`; shared by coarse (allowed ranks) and fine (±kδ). */
export async function greedyPasses(
  ctx: StrategyContext,
  start: number[],
  values: (group: number, current: readonly number[]) => number[],
  maxPasses: number,
  label: string,
): Promise<GreedyResult> {
  const epsilon = ctx.options.epsilon ?? 0;
  const cur = [...start];
  let curRec: EvalRecord | undefined = ctx.feasible(cur) ? await ctx.evaluate(cur) : undefined;
  let curLoss = ctx.loss(curRec) ?? Infinity;
  for (let pass = 1; pass <= maxPasses; pass++) {
    const before = curLoss;
    for (let g = 0; g < cur.length; g++) {
      let bestVal = cur[g];
      for (const v of values(g, cur)) {
        const cand = [...cur];
        cand[g] = v;
        if (!ctx.feasible(cand)) continue;
        const rec = await ctx.evaluate(cand);
        const l = ctx.loss(rec);
        if (l !== null && l < curLoss) {
          curLoss = l;
          curRec = rec;
          bestVal = v;
        }
      }
      cur[g] = bestVal;
    }
    const gain = before - curLoss;
    await ctx.note(`${label}: pass ${pass} best ${curRec ? `${curRec.name} = ${curRec.value}` : 'none yet'}`);
    if (!(gain > epsilon) && !(before === Infinity && curLoss < Infinity)) break;
  }
  return { groups: cur, record: curRec };
}

export async function coarseSearch(ctx: StrategyContext): Promise<GreedyResult> {
  const A = ctx.space.allowedRanks;
  const start = ctx.space.groups.map(() => A[0]);
  return greedyPasses(ctx, start, () => A, ctx.options.maxPasses ?? 5, 'coarse');
}

export const coarse: StrategyFn = async (ctx) => {
  await coarseSearch(ctx);
};
