/**
 * From per-layer importance to a configuration (svd, adarank, adalora, salientlora): DARSE's S_i = Σσ²,
 * proportional shares of a total rank, snapping to allowed ranks and the budget repair, with hand values.
 */
import { describe, expect, it } from 'vitest';
import { allocateByScores, allocateGroups, proportionalShares, snapToAllowed, svdImportance } from './allocation';
import { costOf, createSpace, uniformCost } from './space';
import { QV_LARGE } from './testkit';

describe('svdImportance', () => {
  it('is the sum of squared singular values per layer', () => {
    expect(svdImportance([[3, 4], [1], [], [0.5, 0.5, 0.5, 0.5]])).toEqual([25, 1, 0, 1]);
    expect(() => svdImportance([[1, NaN]])).toThrow(/layer 0/);
  });
});

describe('proportionalShares', () => {
  it('gives floor(R · S_i / ΣS): the total never exceeds R and larger scores get more', () => {
    expect(proportionalShares([1, 3], 10)).toEqual([2, 7]);
    expect(proportionalShares([1, 1, 2], 64)).toEqual([16, 16, 32]);
    const shares = proportionalShares([0.1, 5, 2, 0.7, 3.3], 200);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(200);
    expect(shares.reduce((a, b) => a + b, 0)).toBeGreaterThan(200 - 5);
    expect(shares).toEqual([1, 90, 36, 12, 59]) // 200 · s / 11.1, floored;
  });

  it('splits equally when every score is zero and rejects negative scores', () => {
    expect(proportionalShares([0, 0, 0], 10)).toEqual([3, 3, 3]);
    expect(() => proportionalShares([1, -1], 10)).toThrow(/layer 1/);
  });
});

describe('snapToAllowed', () => {
  it('takes the nearest allowed rank, ties to the smaller', () => {
    expect(snapToAllowed(24, [8, 16, 32])).toBe(16);
    expect(snapToAllowed(25, [8, 16, 32])).toBe(32);
    expect(snapToAllowed(3, [0, 8, 16])).toBe(0);
    expect(snapToAllowed(1000, [0, 8, 16])).toBe(16);
  });
});

describe('allocateGroups', () => {
  // 4 layers in 2 groups of 2, query+value of roberta-large: one rank-layer costs 4096 parameters.
  const space = createSpace({ numLayers: 4, groups: 2, allowedRanks: [0, 8, 16, 32], targets: QV_LARGE });

  it('snaps each group mean and keeps it when it fits', () => {
    // Group means 32 and 6 → 32 and 8, cost (32·2 + 8·2)·4096.
    expect(allocateGroups(space, [30, 34, 6, 6], 80 * 4096)).toEqual([32, 8]);
  });

  it('over budget, steps down the group furthest above its ideal (ratio), repeatedly', () => {
    // 32/32 = 1 vs 8/6 = 1.33: group 2 steps down to 0 → 64·4096 fits.
    expect(allocateGroups(space, [30, 34, 6, 6], 64 * 4096)).toEqual([32, 0]);
    // Still over at 40: group 2 is at the bottom, so group 1 steps 32 → 16 (cost 32·4096).
    expect(allocateGroups(space, [30, 34, 6, 6], 40 * 4096)).toEqual([16, 0]);
    expect(costOf(space, [16, 0])).toBe(32 * 4096);
  });

  it('returns null when even the smallest ranks do not fit', () => {
    const nz = createSpace({ numLayers: 4, groups: 2, allowedRanks: [8, 16], targets: QV_LARGE });
    expect(allocateGroups(nz, [8, 8, 8, 8], 31 * 4096)).toBeNull();
    expect(allocateGroups(nz, [8, 8, 8, 8], 32 * 4096)).toEqual([8, 8]);
  });
});

describe('allocateByScores', () => {
  const space = createSpace({ numLayers: 6, allowedRanks: [0, 8, 16, 32, 64, 128], targets: QV_LARGE });

  it('orders ranks as the scores and stays within the budget of the same average uniform rank', () => {
    const scores = [1, 6, 2, 0.5, 3, 0];
    for (const avg of [8, 16, 32, 64]) {
      const budget = uniformCost(space, avg);
      const g = allocateByScores(space, scores, avg, budget)!;
      expect(g).not.toBeNull();
      expect(costOf(space, g)).toBeLessThanOrEqual(budget);
      // Higher score → rank at least as high.
      for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (scores[i] > scores[j]) expect(g[i]).toBeGreaterThanOrEqual(g[j]);
      expect(Math.max(...g)).toBe(g[1]);
    }
    // Hand value at average 16 (total 96): shares floor(96·s/12.5) = 7, 46, 15, 3, 23, 0 → 8, 32, 16, 0, 16, 0;
    // cost 72 rank-layers ≤ 96.
    expect(allocateByScores(space, scores, 16, uniformCost(space, 16))).toEqual([8, 32, 16, 0, 16, 0]);
  });
});
