/**
 * The trained state of one trial, as plain arrays: what leaves the training engine for export (PEFT zip),
 * checkpoints (IndexedDB) and the playground. No tensors here, so it crosses worker boundaries as-is.
 */
import type { NamedTensor } from './safetensors';

/** LoRA-able linear layers of a RoBERTa block, named by their HF module path inside `encoder.layer.{i}`. */
export const TARGET_MODULES = [
  'attention.self.query',
  'attention.self.key',
  'attention.self.value',
  'attention.output.dense',
  'intermediate.dense',
  'output.dense',
] as const;
export type TargetModule = (typeof TARGET_MODULES)[number];

/** Short names used in settings, the UI and PEFT's `target_modules` (PEFT matches on the name suffix). */
export const TARGET_SHORT: Record<TargetModule, string> = {
  'attention.self.query': 'query',
  'attention.self.key': 'key',
  'attention.self.value': 'value',
  'attention.output.dense': 'attention.output.dense',
  'intermediate.dense': 'intermediate.dense',
  'output.dense': 'output.dense',
};

export interface AdapterSnapshot {
  /** Model id the adapter was trained on (e.g. "FacebookAI/roberta-large" or "rank-lab/tiny-roberta"). */
  baseModel: string;
  targets: TargetModule[];
  /** Rank per layer (0 = no adapter in that layer). */
  ranks: number[];
  /** LoRA alpha per layer. */
  alphas: number[];
  rslora: boolean;
  loraDropout: number;
  /** key `${layer}.${target}` → A [r, in], B [out, r] (PEFT layout). */
  lora: Record<string, { A: NamedTensor; B: NamedTensor }>;
  /**
   * Head weights, torch layout (Linear weight [out, in]):
   * `regression.dense.{weight,bias}`, `regression.out.{weight,bias}`,
   * `classification.dense.{weight,bias}`, `classification.out.{weight,bias}`.
   */
  heads: Record<string, NamedTensor>;
  /** Class names for the classification head, index = class id (empty when there is none). */
  classNames: string[];
}
