/**
 * A RoBERTa model's size and what follows from it for LoRA: the weight shape of each target module, the
 * number of trainable parameters a rank pattern costs (the unit of every budget) and the adapter's scale.
 * Settings validation, the search space, results and share documents, PEFT export/import, the Ray Tune
 * script and the engine all ask here, so a rule changed here changes everywhere at once.
 */
import { TARGET_MODULES, type TargetModule } from './adapter';
import type { RobertaConfig } from './config';

/**
 * A model's size as the lab stores and shares it: run records, share links, Ray Tune results and the
 * Model page's summary all carry these three fields under these names.
 */
export interface ModelSize {
  layers: number;
  hidden: number;
  intermediate: number;
}

/** The frozen weight of one LoRA target: out × in (torch Linear layout); a rank-r adapter adds r·(out + in). */
export interface TargetShape {
  name: string;
  out: number;
  in: number;
}

/** Sizes of the public RoBERTa checkpoints, for the command line and tests that have no config.json. */
export const ROBERTA_SIZES = {
  'roberta-large': { layers: 24, hidden: 1024, intermediate: 4096 },
  'roberta-base': { layers: 12, hidden: 768, intermediate: 3072 },
} as const satisfies Record<string, ModelSize>;
export type RobertaSize = keyof typeof ROBERTA_SIZES;

/** The size of a parsed config.json, in the lab's names. */
export function sizeOfConfig(c: Pick<RobertaConfig, 'numLayers' | 'hiddenSize' | 'intermediateSize'>): ModelSize {
  return { layers: c.numLayers, hidden: c.hiddenSize, intermediate: c.intermediateSize };
}

/**
 * Weight shape of a target module in every RoBERTa block: attention projections are H×H, `intermediate.dense`
 * maps H → I (weight I×H) and `output.dense` maps I → H (weight H×I).
 */
export function targetShape(t: TargetModule, size: Pick<ModelSize, 'hidden' | 'intermediate'>): { out: number; in: number } {
  if (t === 'intermediate.dense') return { out: size.intermediate, in: size.hidden };
  if (t === 'output.dense') return { out: size.hidden, in: size.intermediate };
  return { out: size.hidden, in: size.hidden };
}

/** Named shapes of the chosen targets, in the given order; an unknown or repeated target is refused by name. */
export function targetShapes(targets: readonly TargetModule[], size: Pick<ModelSize, 'hidden' | 'intermediate'>): TargetShape[] {
  if (targets.length === 0) throw new Error('at least one target module is needed');
  const seen = new Set<string>();
  return targets.map((t) => {
    if (!(TARGET_MODULES as readonly string[]).includes(t)) {
      throw new Error(`unknown target module '${t}' (known: ${TARGET_MODULES.join(', ')})`);
    }
    if (seen.has(t)) throw new Error(`target module '${t}' is listed twice`);
    seen.add(t);
    return { name: t, ...targetShape(t, size) };
  });
}

/** Σ_targets (out + in): the parameters one unit of rank costs in one layer. */
export function costPerRank(shapes: readonly { out: number; in: number }[]): number {
  let s = 0;
  for (const t of shapes) s += t.out + t.in;
  return s;
}

/** Exact trainable LoRA parameters: Σ_layers r_layer · Σ_targets (out + in). */
export function loraParamCount(layerRanks: readonly number[], shapes: readonly { out: number; in: number }[]): number {
  let rankLayers = 0;
  for (const r of layerRanks) rankLayers += r;
  return rankLayers * costPerRank(shapes);
}

/** PEFT's scale of an adapter's update B·A: alpha / r, or alpha / √r with rank-stabilised LoRA (rsLoRA). */
export function loraScale(alpha: number, rank: number, rslora: boolean): number {
  return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
}
