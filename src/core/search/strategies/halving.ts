/**
 * Multi-fidelity: asynchronous successive halving (ASHA) run sequentially. Rungs at epochs
 * minEpochs·η^k up to the full maxEpochs. Each step promotes, from the highest rung that allows it, a
 * configuration in the top 1/η of its rung not promoted yet; otherwise a new configuration from the
 * proposer starts at the bottom rung. Hopeless trials simply never get promoted (early stopping).
 * Proposer: random (default) or bayes (GP fitted on the highest rung holding ≥ 3 results, BOHB-like).
 */
import { configName } from '../space';
import type { EvalRecord, StrategyFn } from '../types';
import { proposeByEI, candidatePool, type Observation } from './bayes';
import { randomSource } from './common';

export function rungEpochs(maxEpochs: number, eta: number, minEpochs: number): number[] {
  const out: number[] = [];
  for (let e = minEpochs; e < maxEpochs; e *= eta) {
    const r = Math.max(1, Math.round(e));
    if (out.length === 0 || r > out[out.length - 1]) out.push(r);
  }
  out.push(maxEpochs);
  return out;
}

export const halving: StrategyFn = async (ctx) => {
  const eta = ctx.options.eta ?? 3;
  if (!(eta >= 2)) throw new Error(`halving reduction factor η must be at least 2, got ${eta}`);
  const minEpochs = ctx.options.minEpochs ?? Math.max(1, Math.round(ctx.maxEpochs / eta ** 3));
  if (!(minEpochs >= 1 && minEpochs <= ctx.maxEpochs)) throw new Error(`halving min epochs must be in 1..${ctx.maxEpochs}, got ${minEpochs}`);
  const epochs = rungEpochs(ctx.maxEpochs, eta, minEpochs);
  const rungs = epochs.map(() => ({ results: [] as EvalRecord[], promoted: new Set<string>() }));
  const rng = ctx.rng.fork('halving');
  const proposer = ctx.options.proposer ?? 'random';
  const nextRandom = randomSource(ctx, rng.fork('random'));
  const started = new Set<string>();

  const propose = (): number[] | null => {
    if (proposer === 'bayes') {
      for (let k = rungs.length - 1; k >= 0; k--) {
        const obs: Observation[] = [];
        for (const r of rungs[k].results) {
          const l = ctx.loss(r);
          if (l !== null) obs.push({ groups: r.groups, loss: l });
        }
        if (obs.length >= 3) return proposeByEI(ctx.space, obs, rng.shuffle(candidatePool(ctx, rng, started, obs)), ctx.options.xi ?? 0.01);
      }
    }
    return nextRandom(started);
  };

  for (;;) {
    let did = false;
    for (let k = rungs.length - 2; k >= 0 && !did; k--) {
      const rung = rungs[k];
      const quota = Math.floor(rung.results.length / eta);
      const ranked = rung.results
        .map((r, i) => ({ r, i, l: ctx.loss(r) }))
        .filter((x) => x.l !== null)
        .sort((a, b) => a.l! - b.l! || a.i - b.i)
        .slice(0, quota);
      const pick = ranked.find((x) => !rung.promoted.has(x.r.name));
      if (pick) {
        rung.promoted.add(pick.r.name);
        rungs[k + 1].results.push(await ctx.evaluate(pick.r.groups, epochs[k + 1]));
        did = true;
      }
    }
    if (did) continue;
    const g = propose();
    if (!g) return;
    started.add(configName(g));
    rungs[0].results.push(await ctx.evaluate(g, epochs[0]));
  }
};
