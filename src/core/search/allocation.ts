/**
 * Turning per-layer importance scores into a rank configuration: proportional shares of a total rank,
 * averaged over each layer group, snapped to the allowed ranks and repaired to fit the budget.
 * Used by the svd (DARSE dynamic allocation), adarank, adalora and salientlora strategies.
 */
import { costOf, type SearchSpace } from './space';

/** DARSE importance of each layer: S_i = Σ σ² over the singular values of its updates. */
export function svdImportance(singularValues: readonly (readonly number[])[]): number[] {
  return singularValues.map((row, i) => {
    let s = 0;
    for (const v of row) {
      if (!Number.isFinite(v)) throw new Error(`layer ${i}: singular value ${v} is not finite`);
      s += v * v;
    }
    return s;
  });
}

/** floor(R · S_i / Σ S) for each layer; equal shares when every score is zero. */
export function proportionalShares(scores: readonly number[], totalRank: number): number[] {
  scores.forEach((s, i) => {
    if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`layer ${i}: importance ${s} must be a finite number ≥ 0`);
  });
  const sum = scores.reduce((a, b) => a + b, 0);
  if (sum <= 0) return scores.map(() => Math.floor(totalRank / scores.length));
  return scores.map((s) => Math.floor((totalRank * s) / sum));
}

/** The allowed rank nearest to `value` (ties to the smaller). */
export function snapToAllowed(value: number, allowed: readonly number[]): number {
  let best = allowed[0];
  for (const a of allowed) if (Math.abs(a - value) < Math.abs(best - value)) best = a;
  return best;
}

/**
 * Per-layer ideal ranks → per-group allowed ranks within budget. Each group takes the mean of its layers'
 * ideal ranks, snapped to the nearest allowed rank; while over budget, the group furthest above its ideal
 * (ratio snapped/ideal) steps down one allowed rank. Null when even the smallest ranks do not fit.
 */
export function allocateGroups(space: SearchSpace, layerIdeal: readonly number[], budget: number): number[] | null {
  if (layerIdeal.length !== space.numLayers) {
    throw new Error(`got ${layerIdeal.length} per-layer values, the model has ${space.numLayers} layers`);
  }
  const A = space.allowedRanks;
  const ideal = space.groups.map((g) => {
    let s = 0;
    for (let l = g.start; l < g.end; l++) s += layerIdeal[l];
    return s / (g.end - g.start);
  });
  const idx = ideal.map((v) => A.indexOf(snapToAllowed(v, A)));
  const ranks = () => idx.map((i) => A[i]);
  while (costOf(space, ranks()) > budget) {
    let pick = -1;
    let worst = -Infinity;
    idx.forEach((i, g) => {
      if (i === 0) return;
      const ratio = ideal[g] > 0 ? A[i] / ideal[g] : Infinity;
      if (ratio > worst) {
        worst = ratio;
        pick = g;
      }
    });
    if (pick < 0) return null;
    idx[pick]--;
  }
  return ranks();
}

/** Per-layer score → configuration at a given average rank per layer (total R = average · L). */
export function allocateByScores(
  space: SearchSpace,
  layerScores: readonly number[],
  averageRank: number,
  budget: number,
): number[] | null {
  const shares = proportionalShares(layerScores, averageRank * space.numLayers);
  return allocateGroups(space, shares, budget);
}
