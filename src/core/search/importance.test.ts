/**
 * Planted importance: synthetic training hooks (syntheticHooks) whose measurements follow a known per-layer
 * importance in which one layer matters far more than the rest. svd (Σσ² of a probe training), adarank
 * (perturbation distance), adalora (smoothed sensitivity) and salientlora (salience of singular values) must
 * each give that layer the largest rank for several planted layers and seeds (svd and adarank alone at the top;
 * the pruning methods may tie at their initial-rank cap).
 */
import { describe, expect, it } from 'vitest';
import { collectSearch } from './engine';
import { uniformCost } from './space';
import { createLandscape, SyntheticObjective, syntheticHooks, type Landscape } from './synthetic';
import { evalRecords, tinySpace } from './testkit';
import type { TrainingHooks } from './hooks';
import type { StrategyName } from './types';
import { Rng } from '../util/rng';

const LAYERS = 6;
const space = tinySpace(LAYERS, [2, 4, 8, 16, 32]);

function planted(layer: number, seed: number): Landscape {
  const base = createLandscape('bowl', space, seed);
  // Every layer at 0.1–0.25 of the planted one (seeded), the planted layer at 1.
  const importance = Array.from({ length: LAYERS }, (_, l) => (l === layer ? 1 : 0.1 + 0.15 * (((l + 1) * (seed + 3)) % 7) / 6));
  return { ...base, importance };
}

const STRATEGIES: StrategyName[] = ['svd', 'adarank', 'adalora', 'salientlora'];
const CASES = [
  [0, 1],
  [3, 2],
  [5, 3],
  [2, 4],
] as const;

/** Runs `strategy` with `hooks` and says whether `layer` came out as the planted layer must (null) or why not. */
async function plantedVerdict(strategy: StrategyName, landscape: Landscape, hooks: TrainingHooks, layer: number, seed: number): Promise<string | null> {
  const events = await collectSearch({
    space,
    objective: new SyntheticObjective(landscape, seed),
    hooks,
    strategy,
    seed,
    budget: uniformCost(space, 8),
    options: { averageRanks: [8] },
  });
  const recs = evalRecords(events);
  if (recs.length !== 1) return `${recs.length} evaluations`;
  const g = recs[0].groups;
  const what = `${strategy}, layer ${layer}, seed ${seed}: ${g.join('@')}`;
  const top = Math.max(...g);
  const median = [...g].sort((a, b) => a - b)[Math.floor(LAYERS / 2)];
  if (g[layer] !== top || !(g[layer] > median)) return `${what}: not the largest rank`;
  if (strategy === 'svd' || strategy === 'adarank') {
    // Measured importance maps straight to shares: the planted layer alone at the top.
    if (g.filter((r) => r === top).length !== 1) return `${what}: tied at the top`;
  } else {
    // A matrix keeps at most its initial rank, so the strongest layers can tie at that cap; the planted
    // layer must keep at least as many components as any other.
    const probe = events.find((e) => e.type === 'probe');
    const kept = (probe as { value: { keptPerUnit: number[] } }).value.keptPerUnit;
    const T = space.targets.length;
    const perLayer = Array.from({ length: LAYERS }, (_, l) => kept.slice(l * T, (l + 1) * T).reduce((a, b) => a + b, 0));
    const mid = [...perLayer].sort((a, b) => a - b)[Math.floor(LAYERS / 2)];
    if (perLayer[layer] !== Math.max(...perLayer) || !(perLayer[layer] > mid)) return `${what}; kept per layer ${perLayer.join(',')}`;
  }
  return null;
}

describe('planted importance', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy} gives the planted layer the largest rank`, async () => {
      for (const [layer, seed] of CASES) {
        const landscape = planted(layer, seed);
        expect(await plantedVerdict(strategy, landscape, syntheticHooks(landscape, seed), layer, seed)).toBeNull();
      }
    });
  }

  // The check above must tell a working measure from a random one: hooks that measure a seeded random
  // importance (unrelated to the planted layer) fail it in nearly every case.
  for (const strategy of ['svd', 'adarank'] as const) {
    it(`${strategy}: a measure blind to the planted layer fails the same check`, async () => {
      let passed = 0;
      for (const [layer, seed] of CASES) {
        const landscape = planted(layer, seed);
        const rng = new Rng(`blind:${strategy}:${seed}`);
        const blind = { ...landscape, importance: landscape.importance.map(() => 0.1 + rng.next()) };
        if ((await plantedVerdict(strategy, landscape, syntheticHooks(blind, seed), layer, seed)) === null) passed++;
      }
      expect(passed).toBeLessThanOrEqual(1);
    });
  }
});

describe('pruning result → configuration', () => {
  it('a layer gets the mean of its target matrices’ kept components, snapped to the allowed ranks', async () => {
    // Three layers × (query, value). Kept: layer 0 = 16 and 0 (mean 8), layer 1 = 4 and 4, layer 2 = 2 and 14.
    const s3 = tinySpace(3, [2, 4, 8, 16]);
    const kept = [16, 0, 4, 4, 2, 14];
    const hooks = {
      async trainWithPruning() {
        return { keptPerUnit: kept };
      },
    };
    for (const strategy of ['adalora', 'salientlora'] as const) {
      const events = await collectSearch({
        space: s3,
        objective: new SyntheticObjective(createLandscape('bowl', s3, 0), 0),
        hooks,
        strategy,
        budget: uniformCost(s3, 8),
        options: { averageRanks: [6] },
      });
      expect(evalRecords(events).map((r) => r.name)).toEqual(['8@4@8']);
    }
  });
});
