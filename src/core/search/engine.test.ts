/**
 * The engine's contract, per strategy: no evaluated configuration above the budget, the same trace for the
 * same seed, and a resumed run (history of an interrupted one) that equals the uninterrupted run without
 * evaluating or probing anything twice. Plus the engine's own rules: cache, evaluation limit, skips, failures.
 */
import { describe, expect, it } from 'vitest';
import type { TrainingHooks } from './hooks';
import { collectSearch } from './engine';
import { costOf, enumerateConfigs, uniformCost } from './space';
import { createLandscape, SyntheticObjective, syntheticHooks } from './synthetic';
import { evalRecords, FnObjective, runInterrupted, tinySpace, trace } from './testkit';
import { STRATEGY_NAMES, type SearchEvent, type SearchOptions, type StrategyFn, type StrategyName } from './types';

/** 8 layers in 4 groups, ranks {8, 32, 64, 128}; budget = uniform rank 64, which cuts the grid roughly in half. */
const space = tinySpace(4, [8, 32, 64, 128], 8);
const BUDGET = uniformCost(space, 64);

/** Counts hook calls so a resumed run can be shown not to re-measure. */
function countingHooks(inner: TrainingHooks) {
  const calls = { trainProbe: 0, perturbationDistance: 0, trainWithPruning: 0 };
  const hooks: TrainingHooks = {
    trainProbe: (req, s) => (calls.trainProbe++, inner.trainProbe!(req, s)),
    perturbationDistance: (req, s) => (calls.perturbationDistance++, inner.perturbationDistance!(req, s)),
    trainWithPruning: (req, s) => (calls.trainWithPruning++, inner.trainWithPruning!(req, s)),
  };
  return { hooks, calls, total: () => calls.trainProbe + calls.perturbationDistance + calls.trainWithPruning };
}

function setup(strategy: StrategyName, seed: number, extra: Partial<SearchOptions> = {}) {
  const landscape = createLandscape('paper', space, 11);
  const objective = new SyntheticObjective(landscape, 11);
  const hooks = countingHooks(syntheticHooks(landscape, 11));
  const opts: SearchOptions = {
    space,
    objective,
    hooks: hooks.hooks,
    strategy,
    seed,
    budget: BUDGET,
    maxEpochs: 27,
    maxEvals: 24,
    // Two pruning runs, so a resume can fall between them.
    options: strategy === 'adalora' || strategy === 'salientlora' ? { averageRanks: [64, 32] } : {},
    ...extra,
  };
  return { opts, objective, hooks };
}

describe('budget', () => {
  it('the budget binds in this space: the grid holds configurations above it', () => {
    const all = [...enumerateConfigs(space)];
    const over = all.filter((g) => costOf(space, g) > BUDGET);
    expect(over.length).toBeGreaterThan(all.length / 3);
  });

  for (const strategy of STRATEGY_NAMES) {
    it(`${strategy}: no evaluated configuration costs more than the budget`, async () => {
      const { opts } = setup(strategy, 3, { maxEvals: 40 });
      const recs = evalRecords(await collectSearch(opts));
      expect(recs.length).toBeGreaterThan(0);
      for (const r of recs) {
        expect(r.params).toBe(costOf(space, r.groups));
        expect(r.params).toBeLessThanOrEqual(BUDGET);
      }
    });
  }

  it('the engine refuses a proposal over the budget (a strategy bug), naming it', async () => {
    const greedy: StrategyFn = async (ctx) => {
      await ctx.evaluate([128, 128, 128, 128]);
    };
    await expect(collectSearch({ space, objective: new FnObjective(() => 1), strategy: greedy, budget: BUDGET })).rejects.toThrow(
      /128@128@128@128 .* over the budget/,
    );
  });
});

describe('determinism', () => {
  for (const strategy of STRATEGY_NAMES) {
    it(`${strategy}: the same seed gives the same evaluations`, async () => {
      const a = trace(await collectSearch(setup(strategy, 5).opts));
      const b = trace(await collectSearch(setup(strategy, 5).opts));
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    });
  }

  for (const strategy of ['random', 'bayes', 'halving'] as const) {
    it(`${strategy}: different seeds give different evaluations`, async () => {
      const traces = new Set<string>();
      for (const seed of [1, 2, 3]) traces.add(trace(await collectSearch(setup(strategy, seed).opts)).join(' '));
      expect(traces.size).toBe(3);
    });
  }
});

describe('resume from history', () => {
  for (const strategy of STRATEGY_NAMES) {
    it(`${strategy}: interrupted + resumed = uninterrupted, nothing evaluated or measured twice`, async () => {
      const full = setup(strategy, 9);
      const fullEvents = await collectSearch(full.opts);
      const fullTrace = trace(fullEvents);
      const n = fullTrace.length;
      expect(n).toBeGreaterThan(0);
      const cut = Math.max(1, Math.floor(n / 2));

      // First session: the consumer goes away after `cut` evaluations (tab closed).
      const first = setup(strategy, 9);
      const history = await runInterrupted(first.opts, cut);
      expect(evalRecords(history)).toHaveLength(cut);
      expect(first.objective.evaluations).toBe(cut);

      // Second session: same options plus the stored events.
      const second = setup(strategy, 9, { history });
      const resumed = await collectSearch(second.opts);
      expect([...trace(history), ...trace(resumed)]).toEqual(fullTrace);
      expect(second.objective.evaluations).toBe(n - cut);
      expect(first.objective.evaluations + second.objective.evaluations).toBe(full.objective.evaluations);
      // Measurements made before the interruption are replayed, not redone.
      expect(first.hooks.total() + second.hooks.total()).toBe(full.hooks.total());
      // Records continue the numbering and carry the same values; the summary counts the history too.
      const all = [...evalRecords(history), ...evalRecords(resumed)];
      expect(all.map((r) => r.index)).toEqual(evalRecords(fullEvents).map((r) => r.index));
      expect(all.map((r) => r.value)).toEqual(evalRecords(fullEvents).map((r) => r.value));
      const done = resumed.at(-1)!;
      const fullDone = fullEvents.at(-1)!;
      expect(done).toEqual(fullDone);
    });
  }
});

describe('engine rules', () => {
  const small = tinySpace(2, [8, 16]);

  it('never evaluates a configuration twice at the same fidelity, but does at another', async () => {
    const obj = new FnObjective((g) => g[0] + g[1]);
    const strategy: StrategyFn = async (ctx) => {
      const a = await ctx.evaluate([8, 16]);
      const b = await ctx.evaluate([8, 16]);
      expect(b).toBe(a);
      expect(ctx.seen([8, 16])).toBe(a);
      await ctx.evaluate([8, 16], 3);
    };
    const events = await collectSearch({ space: small, objective: obj, strategy, maxEpochs: 9 });
    expect(obj.calls).toEqual([
      { name: '8@16', epochs: 9 },
      { name: '8@16', epochs: 3 },
    ]);
    expect(trace(events)).toEqual(['8@16@9', '8@16@3']);
  });

  it('counts ok and failed evaluations against max evaluations, skipped ones not', async () => {
    const table: Record<string, number> = { '8@8': 3, '16@16': 1 };
    let n = 0;
    const obj = {
      async evaluate(config: { name: string }) {
        n++;
        if (config.name === '8@16') throw new Error('out of memory');
        const v = table[config.name];
        return v === undefined ? { status: 'skipped' as const, reason: 'not in table' } : { status: 'ok' as const, metrics: { mse: v } };
      },
    };
    const strategy: StrategyFn = async (ctx) => {
      for (const g of [[16, 8], [8, 8], [8, 16], [16, 16]]) await ctx.evaluate(g);
    };
    const events = await collectSearch({ space: small, objective: obj, strategy, maxEvals: 2 });
    const recs = evalRecords(events);
    expect(recs.map((r) => `${r.name}:${r.status}`)).toEqual(['16@8:skipped', '8@8:ok', '8@16:failed']);
    expect(recs[2].reason).toBe('out of memory');
    expect(n).toBe(3);
    const done = events.at(-1) as Extract<SearchEvent, { type: 'done' }>;
    expect(done).toMatchObject({ stopReason: 'max-evals', evaluations: 3, ok: 1, failed: 1, skipped: 1 });
    expect(done.best?.name).toBe('8@8');
  });

  it("streams a strategy's pick after the evaluation it follows, once per change, and reports the last in 'done'", async () => {
    const obj = new FnObjective((g) => g[0] + g[1]);
    const strategy: StrategyFn = async (ctx) => {
      await ctx.evaluate([8, 8]);
      await ctx.pick([8, 8]);
      await ctx.evaluate([16, 16]);
      await ctx.pick([8, 8]); // unchanged: no event
      await ctx.pick([16, 16]);
      // Only an evaluated configuration can be picked.
      await expect(ctx.pick([8, 16])).rejects.toThrow(/8@16.*no full-fidelity result/);
    };
    const events = await collectSearch({ space: small, objective: obj, strategy });
    const kinds = events.map((e) => (e.type === 'eval' || e.type === 'pick' ? `${e.type}:${e.record.name}` : e.type));
    expect(kinds).toEqual(['eval:8@8', 'pick:8@8', 'eval:16@16', 'pick:16@16', 'done']);
    const done = events.at(-1) as Extract<SearchEvent, { type: 'done' }>;
    expect(done.pick?.name).toBe('16@16');
    // `best` stays the best observation.
    expect(done.best?.name).toBe('8@8');
  });

  it("'done' has no pick when the strategy made none", async () => {
    const events = await collectSearch({ space: small, objective: new FnObjective((g) => g[0]), strategy: 'grid' });
    const done = events.at(-1) as Extract<SearchEvent, { type: 'done' }>;
    expect(done.pick).toBeNull();
    expect(events.some((e) => e.type === 'pick')).toBe(false);
  });

  it('ranks by the metric in its direction: r2 is maximised', async () => {
    const r2 = {
      async evaluate(config: { groups: readonly number[] }) {
        return { status: 'ok' as const, metrics: { r2: -(config.groups[0] + config.groups[1]) } };
      },
    };
    const events = await collectSearch({ space: small, objective: r2, strategy: 'grid', metric: 'r2' });
    const done = events.at(-1)!;
    expect(done.type === 'done' && done.best?.name).toBe('8@8');
  });
});
