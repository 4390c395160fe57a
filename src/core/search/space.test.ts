/**
 * The search space: exact LoRA parameter counts (the budget every strategy is held to), groups, names, keys
 * and the enumeration order the grid strategy relies on.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalKey,
  contiguousGroups,
  costOf,
  costOfLayers,
  createSpace,
  enumerateConfigs,
  equivalentUniformRank,
  gridSize,
  largestUniformRank,
  makeConfig,
  paramsPerRankPerLayer,
  parseConfig,
  uniformCost,
} from './space';
import { ROBERTA_SIZES, targetShapes } from '../model/shape';

const QV = targetShapes(['attention.self.query', 'attention.self.value'], ROBERTA_SIZES['roberta-large']);

describe('LoRA parameter cost', () => {
  it('roberta-large query,value at r = 8 in all 24 layers costs 786,432 parameters (2 × 24 × 8 × (1024 + 1024))', () => {
    const space = createSpace({ numLayers: 24, targets: QV, allowedRanks: [0, 8, 16] });
    expect(space.groups).toHaveLength(24);
    expect(2 * 24 * 8 * (1024 + 1024)).toBe(786_432);
    expect(costOf(space, new Array(24).fill(8))).toBe(786_432);
    expect(uniformCost(space, 8)).toBe(786_432);
    expect(costOfLayers(space, new Array(24).fill(8))).toBe(786_432);
    expect(paramsPerRankPerLayer(space)).toBe(4096);
    expect(equivalentUniformRank(space, 786_432)).toBe(8);
  });

  it('the grouping does not change the cost of the same per-layer ranks', () => {
    const perLayer = createSpace({ numLayers: 24, targets: QV });
    const three = createSpace({ numLayers: 24, groups: 3, targets: QV });
    expect(costOf(three, [8, 8, 8])).toBe(786_432);
    expect(costOf(perLayer, new Array(24).fill(8))).toBe(costOf(three, [8, 8, 8]));
  });

  it('a mixed configuration costs Σ_groups r_g · layers_g · Σ_targets (m + n)', () => {
    const space = createSpace({ numLayers: 24, groups: 3, targets: QV });
    // 384@512@256 over 8 + 8 + 8 layers: (384 + 512 + 256) · 8 · 2048 · 2 targets.
    expect(costOf(space, [384, 512, 256])).toBe((384 + 512 + 256) * 8 * 2 * 2048);
    expect(costOf(space, [384, 512, 256])).toBe(37_748_736);
    // Uneven groups (5 layers into 2 groups: 3 + 2): 16 · 3 + 0 · 2 rank-layers.
    const uneven = createSpace({ numLayers: 5, groups: 2, targets: QV, allowedRanks: [0, 16] });
    expect(uneven.groups).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 5 },
    ]);
    expect(costOf(uneven, [16, 0])).toBe(16 * 3 * 4096);
    expect(costOf(uneven, [0, 16])).toBe(16 * 2 * 4096);
  });

  it('non-square targets count out + in: intermediate.dense is 4096×1024, output.dense 1024×4096', () => {
    const shapes = targetShapes(['attention.self.query', 'intermediate.dense', 'output.dense'], ROBERTA_SIZES['roberta-large']);
    expect(shapes).toEqual([
      { name: 'attention.self.query', out: 1024, in: 1024 },
      { name: 'intermediate.dense', out: 4096, in: 1024 },
      { name: 'output.dense', out: 1024, in: 4096 },
    ]);
    const space = createSpace({ numLayers: 12, groups: 4, targets: shapes });
    expect(paramsPerRankPerLayer(space)).toBe(2048 + 5120 + 5120);
    // 4 groups of 3 layers at 8, 0, 16, 4.
    expect(costOf(space, [8, 0, 16, 4])).toBe((8 + 0 + 16 + 4) * 3 * 12_288);
  });
});

describe('space construction and names', () => {
  it('splits layers into contiguous groups, earlier groups taking the remainder', () => {
    expect(contiguousGroups(24, 3).map((g) => g.end - g.start)).toEqual([8, 8, 8]);
    expect(contiguousGroups(7, 3).map((g) => g.end - g.start)).toEqual([3, 2, 2]);
    expect(() => contiguousGroups(4, 5)).toThrow(/1\.\.4/);
  });

  it('rejects a gap between explicit groups, bad ranks and unknown targets', () => {
    expect(() => createSpace({ numLayers: 4, groups: [{ start: 0, end: 2 }, { start: 3, end: 4 }], targets: QV })).toThrow(/start at layer 2/);
    expect(() => createSpace({ numLayers: 4, allowedRanks: [8, -1], targets: QV })).toThrow(/not a non-negative integer/);
    expect(() => targetShapes(['attention.self.nope' as never], { hidden: 8, intermediate: 16 })).toThrow(/unknown target module/);
  });

  it('names configurations 384@512@256 and keys them by per-layer ranks, whatever the grouping', () => {
    const three = createSpace({ numLayers: 6, groups: 3, targets: QV });
    const six = createSpace({ numLayers: 6, targets: QV });
    const a = makeConfig(three, [384, 512, 256]);
    expect(a.name).toBe('384@512@256');
    expect(a.layers).toEqual([384, 384, 512, 512, 256, 256]);
    expect(a.key).toBe('384x2,512x2,256x2');
    expect(makeConfig(six, [384, 384, 512, 512, 256, 256]).key).toBe(a.key);
    expect(canonicalKey([8, 8, 8])).toBe('8x3');
    expect(parseConfig(three, ' 8@16@0 ').groups).toEqual([8, 16, 0]);
    expect(() => parseConfig(three, '8@x@0')).toThrow(/part 2/);
  });

  it('enumerates the grid once per configuration in odometer order, filtered by the budget', () => {
    const space = createSpace({ numLayers: 2, groups: 2, allowedRanks: [0, 8, 16], targets: QV });
    const all = [...enumerateConfigs(space)].map((g) => g.join('@'));
    expect(all).toEqual(['0@0', '0@8', '0@16', '8@0', '8@8', '8@16', '16@0', '16@8', '16@16']);
    expect(gridSize(space)).toBe(9);
    const budget = costOf(space, [8, 8]);
    const within = [...enumerateConfigs(space, budget)].map((g) => g.join('@'));
    expect(within).toEqual(['0@0', '0@8', '0@16', '8@0', '8@8', '16@0']);
    expect(largestUniformRank(space, budget)).toBe(8);
    expect(largestUniformRank(space, budget - 1)).toBe(0);
  });
});
