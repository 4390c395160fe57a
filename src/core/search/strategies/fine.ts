/**
 * DARSE Algorithm 2, fine search: around the coarse result (or a given start), try r_g ± k·δ for k = 1..K per
 * group with the others fixed, keep the best, repeat while it improves. Fine ranks may fall between the
 * allowed ones (that is the point), but stay within [smallest non-zero allowed, largest allowed].
 */
import type { StrategyFn } from '../types';
import { coarseSearch, greedyPasses } from './coarse';

export const fine: StrategyFn = async (ctx) => {
  const delta = ctx.options.delta ?? 32;
  const K = ctx.options.maxSteps ?? 2;
  if (!(Number.isInteger(delta) && delta > 0)) throw new Error(`fine search step δ must be a positive integer, got ${delta}`);
  let start = ctx.options.start;
  if (start) {
    if (start.length !== ctx.space.groups.length) throw new Error(`fine search start has ${start.length} ranks, the space has ${ctx.space.groups.length} groups`);
  } else {
    start = (await coarseSearch(ctx)).groups;
  }
  const A = ctx.space.allowedRanks;
  const lo = A.find((a) => a > 0) ?? 1;
  const hi = A[A.length - 1];
  const values = (g: number, cur: readonly number[]) => {
    const out: number[] = [];
    for (let k = 1; k <= K; k++) {
      for (const s of [-1, 1]) {
        const v = cur[g] + s * k * delta;
        if (v >= lo && v <= hi) out.push(v);
      }
    }
    return out;
  };
  await greedyPasses(ctx, [...start], values, ctx.options.maxPasses ?? 3, 'fine');
};
