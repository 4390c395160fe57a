/**
 * Strategies that allocate ranks from importance measured by the training engine (hooks):
 * - svd: DARSE dynamic allocation from the singular values of a short uniform-rank probe training;
 * - adarank: AdaRank prior from output disagreement under weight perturbation (no training);
 * - adalora / salientlora: in-training pruning down to a target total rank, pattern then retrained.
 * Each allocates at one or more average ranks (default: every allowed uniform rank within budget, largest
 * first; the pruning ones only the largest, as each level costs a training) and evaluates the result.
 */
import { allocateByScores, allocateGroups, svdImportance } from '../allocation';
import type { PruningResult, TrainingHooks } from '../hooks';
import { PruningController } from '../pruning';
import { uniformCost } from '../space';
import type { StrategyContext, StrategyFn } from '../types';

function averageRanks(ctx: StrategyContext, onlyLargest: boolean): number[] {
  if (ctx.options.averageRanks) {
    for (const r of ctx.options.averageRanks) {
      if (!(r > 0)) throw new Error(`average rank ${r} must be positive`);
    }
    return ctx.options.averageRanks;
  }
  const levels = ctx.space.allowedRanks.filter((r) => r > 0 && uniformCost(ctx.space, r) <= ctx.budget).reverse();
  if (levels.length === 0) throw new Error('no allowed non-zero uniform rank fits the budget');
  return onlyLargest ? levels.slice(0, 1) : levels;
}

function requireHook<K extends keyof TrainingHooks>(ctx: StrategyContext, name: K, strategy: string): NonNullable<TrainingHooks[K]> {
  const h = ctx.hooks?.[name];
  if (!h) throw new Error(`strategy '${strategy}' needs the training engine (hook ${name}), which this objective does not provide`);
  return h.bind(ctx.hooks) as NonNullable<TrainingHooks[K]>;
}

async function evaluateAllocations(ctx: StrategyContext, layerScores: number[], levels: number[], label: string) {
  for (const avg of levels) {
    const groups = allocateByScores(ctx.space, layerScores, avg, ctx.budget);
    if (!groups) {
      await ctx.note(`${label}: nothing fits the budget at average rank ${avg}`);
      continue;
    }
    await ctx.note(`${label}: average rank ${avg} → ${groups.join('@')}`);
    await ctx.evaluate(groups);
  }
}

export const svd: StrategyFn = async (ctx) => {
  const trainProbe = requireHook(ctx, 'trainProbe', 'svd');
  const nz = ctx.space.allowedRanks.filter((r) => r > 0);
  const rank = ctx.options.probeRank ?? nz[0] ?? 8;
  const epochs = ctx.options.probeEpochs ?? Math.max(1, Math.round(ctx.maxEpochs / 10));
  const seed = ctx.root.seedFor('svd');
  const probe = await ctx.probe(`svd:rank${rank}:epochs${epochs}`, (signal) => trainProbe({ rank, epochs, seed }, signal));
  if (probe.singularValues.length !== ctx.space.numLayers) {
    throw new Error(`probe returned ${probe.singularValues.length} layers, the model has ${ctx.space.numLayers}`);
  }
  await evaluateAllocations(ctx, svdImportance(probe.singularValues), averageRanks(ctx, false), 'svd');
};

export const adarank: StrategyFn = async (ctx) => {
  const perturb = requireHook(ctx, 'perturbationDistance', 'adarank');
  const noiseStd = ctx.options.noiseStd ?? 0.01;
  const seed = ctx.root.seedFor('adarank');
  const distances: number[] = [];
  for (let layer = 0; layer < ctx.space.numLayers; layer++) {
    const d = await ctx.probe(`adarank:layer${layer}:noise${noiseStd}`, (signal) => perturb({ layer, noiseStd, seed }, signal));
    if (!(d >= 0) || !Number.isFinite(d)) throw new Error(`perturbation distance of layer ${layer} is ${d}; expected a finite number ≥ 0`);
    distances.push(d);
  }
  await evaluateAllocations(ctx, distances, averageRanks(ctx, false), 'adarank');
};

function pruningStrategy(method: 'adalora' | 'salientlora'): StrategyFn {
  return async (ctx) => {
    const train = requireHook(ctx, 'trainWithPruning', method);
    const T = ctx.space.targets.length;
    const units = ctx.space.numLayers * T;
    const epochs = ctx.options.pruneEpochs ?? ctx.maxEpochs;
    const seed = ctx.root.seedFor(method);
    for (const avg of averageRanks(ctx, true)) {
      // AdaLoRA's init_r = 1.5 × target, but at least the next allowed rank above the average: a matrix never
      // keeps more than its initial rank, so below that no layer could ever be given more than the average.
      const above = ctx.space.allowedRanks.find((r) => r > avg);
      const initialRank = ctx.options.initialRank ?? Math.max(Math.ceil(avg * 1.5), avg + 1, above ?? 0);
      const targetTotal = Math.min(units * initialRank, Math.round(avg * units));
      const res = await ctx.probe<PruningResult>(`${method}:avg${avg}:init${initialRank}:epochs${epochs}`, (signal) =>
        train(
          {
            initialRank,
            epochs,
            seed,
            createController: (totalSteps) => new PruningController({ method, numUnits: units, initialRank, targetTotal, totalSteps }),
          },
          signal,
        ),
      );
      if (res.keptPerUnit.length !== units) throw new Error(`${method} run returned ${res.keptPerUnit.length} matrices, expected ${units}`);
      // Per-layer rank: mean kept components over the layer's target matrices.
      const layerRanks = Array.from({ length: ctx.space.numLayers }, (_, l) => {
        let s = 0;
        for (let t = 0; t < T; t++) s += res.keptPerUnit[l * T + t];
        return s / T;
      });
      const groups = allocateGroups(ctx.space, layerRanks, ctx.budget);
      if (!groups) {
        await ctx.note(`${method}: pruned pattern does not fit the budget at average rank ${avg}`);
        continue;
      }
      await ctx.note(`${method}: average rank ${avg} → ${groups.join('@')}`);
      await ctx.evaluate(groups);
    }
  };
}

export const adalora = pruningStrategy('adalora');
export const salientlora = pruningStrategy('salientlora');
