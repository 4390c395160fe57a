/**
 * The search space: L layers cut into contiguous groups that share one rank, a set of allowed ranks, and the
 * target modules (with their shapes) that get a LoRA adapter in every layer. A configuration is one rank per
 * group; its cost is the exact number of trainable LoRA parameters, Σ_layers r_layer · Σ_targets (m + n),
 * because a rank-r adapter on an m×n weight holds B [m, r] and A [r, n].
 */
import { costPerRank, loraParamCount, type TargetShape } from '../model/shape';

export type { TargetShape };

/** Contiguous layer range [start, end) sharing one rank. */
export interface LayerGroup {
  start: number;
  end: number;
}

export interface SearchSpace {
  numLayers: number;
  groups: LayerGroup[];
  /** Sorted ascending, unique, integers ≥ 0 (0 = no adapter in that group). */
  allowedRanks: number[];
  targets: TargetShape[];
}

/** A configuration: one rank per group, expanded to one per layer, with its display name and cache key. */
export interface RankConfig {
  readonly groups: readonly number[];
  readonly layers: readonly number[];
  /** Paper-style name, one rank per group in order: `384@512@256`. */
  readonly name: string;
  /** Canonical per-layer key (run-length encoded), equal for equal per-layer ranks whatever the grouping. */
  readonly key: string;
}

export const DEFAULT_ALLOWED_RANKS = [0, 8, 16, 32, 64, 128, 256, 384, 512];

/** Split L layers into G contiguous groups whose sizes differ by at most one (earlier groups get the extra). */
export function contiguousGroups(numLayers: number, numGroups: number): LayerGroup[] {
  if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`number of layers must be a positive integer, got ${numLayers}`);
  if (!Number.isInteger(numGroups) || numGroups < 1 || numGroups > numLayers) {
    throw new Error(`number of groups must be an integer in 1..${numLayers}, got ${numGroups}`);
  }
  const base = Math.floor(numLayers / numGroups);
  const extra = numLayers % numGroups;
  const out: LayerGroup[] = [];
  let start = 0;
  for (let g = 0; g < numGroups; g++) {
    const size = base + (g < extra ? 1 : 0);
    out.push({ start, end: start + size });
    start += size;
  }
  return out;
}

export interface SpaceInit {
  numLayers: number;
  /** Either a group count (contiguous, as even as possible) or explicit ranges. Default: one group per layer. */
  groups?: number | LayerGroup[];
  allowedRanks?: readonly number[];
  targets: TargetShape[];
}

/** Build and validate a search space. */
export function createSpace(init: SpaceInit): SearchSpace {
  const { numLayers, targets } = init;
  const groups =
    init.groups === undefined
      ? contiguousGroups(numLayers, numLayers)
      : typeof init.groups === 'number'
        ? contiguousGroups(numLayers, init.groups)
        : init.groups.map((g) => ({ ...g }));
  let expect = 0;
  groups.forEach((g, i) => {
    if (g.start !== expect || g.end <= g.start) {
      throw new Error(`layer group ${i + 1} (${g.start}..${g.end}) must start at layer ${expect} and be non-empty`);
    }
    expect = g.end;
  });
  if (expect !== numLayers) throw new Error(`layer groups cover ${expect} layers, the model has ${numLayers}`);
  const allowed = [...new Set(init.allowedRanks ?? DEFAULT_ALLOWED_RANKS)].sort((a, b) => a - b);
  if (allowed.length === 0) throw new Error('the allowed rank set is empty');
  for (const r of allowed) {
    if (!Number.isInteger(r) || r < 0) throw new Error(`allowed rank ${r} is not a non-negative integer`);
  }
  if (targets.length === 0) throw new Error('at least one target module is needed');
  for (const t of targets) {
    if (!(t.out > 0 && t.in > 0)) throw new Error(`target '${t.name}' has a bad shape ${t.out}×${t.in}`);
  }
  return { numLayers, groups, allowedRanks: allowed, targets: targets.map((t) => ({ ...t })) };
}

/** Σ_targets (m + n): parameters one unit of rank costs in one layer. */
export function paramsPerRankPerLayer(space: SearchSpace): number {
  return costPerRank(space.targets);
}

export function expandGroups(space: SearchSpace, groupRanks: readonly number[]): number[] {
  if (groupRanks.length !== space.groups.length) {
    throw new Error(`configuration has ${groupRanks.length} ranks, the space has ${space.groups.length} groups`);
  }
  const out = new Array<number>(space.numLayers);
  space.groups.forEach((g, i) => {
    for (let l = g.start; l < g.end; l++) out[l] = groupRanks[i];
  });
  return out;
}

/** Exact trainable LoRA parameters of a configuration (per-group ranks). */
export function costOf(space: SearchSpace, groupRanks: readonly number[]): number {
  if (groupRanks.length !== space.groups.length) {
    throw new Error(`configuration has ${groupRanks.length} ranks, the space has ${space.groups.length} groups`);
  }
  let rankLayers = 0;
  space.groups.forEach((g, i) => (rankLayers += groupRanks[i] * (g.end - g.start)));
  return rankLayers * paramsPerRankPerLayer(space);
}

/** Exact parameters of one rank per layer. */
export function costOfLayers(space: SearchSpace, layerRanks: readonly number[]): number {
  return loraParamCount(layerRanks, space.targets);
}

/** Parameters of the same rank in every layer. */
export function uniformCost(space: SearchSpace, rank: number): number {
  return rank * space.numLayers * paramsPerRankPerLayer(space);
}

/** The (fractional) uniform rank that costs `params`: how the UI shows a budget. */
export function equivalentUniformRank(space: SearchSpace, params: number): number {
  return params / (space.numLayers * paramsPerRankPerLayer(space));
}

export function configName(groupRanks: readonly number[]): string {
  return groupRanks.join('@');
}

/** Run-length key of per-layer ranks, e.g. `128x8,512x8,256x8`. */
export function canonicalKey(layerRanks: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < layerRanks.length) {
    let j = i;
    while (j < layerRanks.length && layerRanks[j] === layerRanks[i]) j++;
    parts.push(`${layerRanks[i]}x${j - i}`);
    i = j;
  }
  return parts.join(',');
}

export function makeConfig(space: SearchSpace, groupRanks: readonly number[]): RankConfig {
  groupRanks.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0) throw new Error(`rank of group ${i + 1} must be a non-negative integer, got ${r}`);
  });
  const layers = expandGroups(space, groupRanks);
  return { groups: [...groupRanks], layers, name: configName(groupRanks), key: canonicalKey(layers) };
}

/** Parse `384@512@256` (one rank per group). Throws a message naming what is wrong. */
export function parseRanks(text: string): number[] {
  const s = text.trim();
  if (s === '') throw new Error('empty rank configuration');
  return s.split('@').map((p, i) => {
    const t = p.trim();
    if (!/^\d+$/.test(t)) throw new Error(`'${s}': part ${i + 1} ('${t}') is not a non-negative integer rank`);
    return Number(t);
  });
}

export function parseConfig(space: SearchSpace, name: string): RankConfig {
  return makeConfig(space, parseRanks(name));
}

export function isFeasible(space: SearchSpace, groupRanks: readonly number[], budget: number): boolean {
  return costOf(space, groupRanks) <= budget;
}

/** Number of configurations over the allowed grid (ignoring the budget). */
export function gridSize(space: SearchSpace): number {
  return space.allowedRanks.length ** space.groups.length;
}

/** Every configuration over the allowed grid within budget, odometer order (last group fastest). */
export function* enumerateConfigs(space: SearchSpace, budget = Infinity): Generator<number[]> {
  const G = space.groups.length;
  const A = space.allowedRanks;
  const idx = new Array<number>(G).fill(0);
  for (;;) {
    const ranks = idx.map((i) => A[i]);
    if (costOf(space, ranks) <= budget) yield ranks;
    let g = G - 1;
    while (g >= 0 && idx[g] === A.length - 1) idx[g--] = 0;
    if (g < 0) return;
    idx[g]++;
  }
}

/** Largest allowed rank r whose uniform configuration fits the budget (undefined when none, not even 0). */
export function largestUniformRank(space: SearchSpace, budget: number): number | undefined {
  let best: number | undefined;
  for (const r of space.allowedRanks) if (uniformCost(space, r) <= budget) best = r;
  return best;
}
