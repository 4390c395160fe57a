/**
 * LoRA with a rank per layer (PEFT semantics): for target W [out, in] in layer i,
 * h = W x + b + s_i · B_i A_i dropout(x), A_i [r_i, in] Kaiming-uniform(a=√5) → U(±1/√in), B_i [out, r_i] zeros,
 * s_i = alpha_i / r_i (rsLoRA: alpha_i / √r_i). r_i = 0: no adapter in that layer.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulAdd } from './ops';
import type { Rng } from '../util/rng';
import { TARGET_MODULES, type TargetModule } from './adapter';
import type { NamedTensor } from './safetensors';
import { loraScale } from './shape';
import type { AdapterProvider, LinearAdapter, RobertaModel } from './roberta';

export interface LoraSettings {
  targets: TargetModule[];
  /** Rank per layer (length = number of layers); 0 = none. */
  ranks: number[];
  /** Alpha per layer, or one alpha for all. */
  alphas: number[] | number;
  rslora: boolean;
  dropout: number;
}

export interface LoraEntry {
  layer: number;
  target: TargetModule;
  rank: number;
  alpha: number;
  scale: number;
  /** `scale` as a resident scalar (no upload per step). */
  scaleT: tf.Scalar;
  A: tf.Variable<tf.Rank.R2>; // [r, in]
  B: tf.Variable<tf.Rank.R2>; // [out, r]
}

export function loraKey(layer: number, target: TargetModule): string {
  return `${layer}.${target}`;
}

export function validateLoraSettings(s: LoraSettings, numLayers: number): number[] {
  if (!s.targets.length) throw new Error('LoRA settings: choose at least one target module.');
  for (const t of s.targets) if (!TARGET_MODULES.includes(t)) throw new Error(`LoRA settings: unknown target module "${t}" (allowed: ${TARGET_MODULES.join(', ')}).`);
  if (s.ranks.length !== numLayers) throw new Error(`LoRA settings: ${s.ranks.length} ranks given but the model has ${numLayers} layers.`);
  s.ranks.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 0) throw new Error(`LoRA settings: rank of layer ${i} must be a non-negative integer, got ${r}.`);
  });
  const alphas = typeof s.alphas === 'number' ? s.ranks.map(() => s.alphas as number) : s.alphas;
  if (alphas.length !== numLayers) throw new Error(`LoRA settings: ${alphas.length} alphas given but the model has ${numLayers} layers.`);
  alphas.forEach((a, i) => {
    if (!Number.isFinite(a) || a <= 0) throw new Error(`LoRA settings: alpha of layer ${i} must be a positive number, got ${a}.`);
  });
  if (!(s.dropout >= 0 && s.dropout < 1)) throw new Error(`LoRA settings: dropout must be in [0, 1), got ${s.dropout}.`);
  return alphas;
}

export class LoraAdapter implements AdapterProvider {
  readonly settings: LoraSettings;
  readonly entries = new Map<string, LoraEntry>();
  readonly alphas: number[];
  private training = true;

  constructor(settings: LoraSettings, alphas: number[]) {
    this.settings = settings;
    this.alphas = alphas;
  }

  /** Inference mode disables LoRA dropout (the forward's `training` flag already gates the seed). */
  setTraining(t: boolean): void {
    this.training = t;
  }

  get(layer: number, target: TargetModule): LinearAdapter | undefined {
    const e = this.entries.get(loraKey(layer, target));
    if (!e) return undefined;
    const p = this.settings.dropout;
    return {
      apply: (x, base, drop) => {
        const xd = this.training && drop ? drop.apply(x, p) : x;
        const u = tf.mul(tf.matMul(xd, e.A, false, true), e.scaleT);
        // base + u Bᵀ in one fused kernel.
        return matMulAdd(u as tf.Tensor2D, e.B, base);
      },
    };
  }

  layerVariables(layer: number): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const t of this.settings.targets) {
      const e = this.entries.get(loraKey(layer, t));
      if (e) out.push(e.A, e.B);
    }
    return out;
  }

  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const e of this.entries.values()) out.push(e.A, e.B);
    return out;
  }

  /** Named trainable tensors in a fixed order: `lora.{layer}.{target}.A|B`. */
  named(): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [k, e] of this.entries) out.push([`lora.${k}.A`, e.A], [`lora.${k}.B`, e.B]);
    return out;
  }

  paramCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.A.size + e.B.size;
    return n;
  }

  /**
   * Plain-array copy (PEFT layout A [r, in], B [out, r]). Async on purpose: dataSync() on tfjs-webgpu
   * returns wrong values for GPU-resident tensors (seen on SwiftShader), so every read-back awaits data().
   */
  async snapshot(): Promise<Record<string, { A: NamedTensor; B: NamedTensor }>> {
    const out: Record<string, { A: NamedTensor; B: NamedTensor }> = {};
    for (const [k, e] of this.entries)
      out[k] = { A: { shape: e.A.shape.slice(), data: (await e.A.data()) as Float32Array }, B: { shape: e.B.shape.slice(), data: (await e.B.data()) as Float32Array } };
    return out;
  }

  load(values: Record<string, { A: NamedTensor; B: NamedTensor }>): void {
    for (const [k, e] of this.entries) {
      const v = values[k];
      if (!v) throw new Error(`Adapter weights lack "${k}".`);
      if (v.A.data.length !== e.A.size || v.B.data.length !== e.B.size) throw new Error(`Adapter weights "${k}" have the wrong size.`);
      assignFrom(e.A, v.A.data);
      assignFrom(e.B, v.B.data);
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) {
      e.A.dispose();
      e.B.dispose();
      e.scaleT.dispose();
    }
    this.entries.clear();
  }
}

/**
 * Create per-layer LoRA adapters. Initialisation draws from `rng` in a fixed order (layer, then target in
 * TARGET_MODULES order), so a seed fixes every A.
 */
export function createLora(model: RobertaModel, settings: LoraSettings, rng: Rng): LoraAdapter {
  const alphas = validateLoraSettings(settings, model.layers.length);
  const lora = new LoraAdapter(settings, alphas);
  const targets = TARGET_MODULES.filter((t) => settings.targets.includes(t));
  settings.ranks.forEach((r, layer) => {
    if (r === 0) return;
    for (const t of targets) {
      const { out, in: inF } = model.targetShape(t);
      const bound = 1 / Math.sqrt(inF);
      const a = new Float32Array(r * inF);
      for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-bound, bound);
      const scale = loraScale(alphas[layer], r, settings.rslora);
      lora.entries.set(loraKey(layer, t), {
        layer,
        target: t,
        rank: r,
        alpha: alphas[layer],
        scale,
        scaleT: tf.scalar(scale),
        A: makeVariable(a, [r, inF], `lora_${layer}_${t}_A`),
        B: makeVariable(new Float32Array(out * r), [out, r], `lora_${layer}_${t}_B`),
      });
    }
  });
  return lora;
}

let counter = 0;

/** A trainable variable from plain values; the staging tensor is released (no leak in numTensors). */
export function makeVariable(data: Float32Array, shape: [number, number] | [number], name: string): tf.Variable<tf.Rank.R2> {
  const t = tf.tensor(data, shape);
  // tf.variable names are global: make ours unique so several models can coexist.
  const v = tf.variable(t, true, `${name}_${++counter}`);
  t.dispose();
  return v as tf.Variable<tf.Rank.R2>;
}

/** Overwrite a variable with plain values, releasing the staging tensor. */
export function assignFrom(v: tf.Variable, data: Float32Array | number[]): void {
  const t = tf.tensor(data, v.shape);
  v.assign(t);
  t.dispose();
}
