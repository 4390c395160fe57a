/**
 * Task heads on the `<s>` hidden state (the seed paper's heads; the PEFT export names them the same way):
 *   regression:     Linear(H→128) → sigmoid → Linear(128→1)
 *   classification: Dropout → Linear(H→128) → tanh → Dropout → Linear(128→K)
 * Initialised like torch.nn.Linear: weight U(±1/√in) (kaiming_uniform a=√5), bias U(±1/√in), from the seeded RNG.
 * Weights are kept in torch layout [out, in].
 */
import * as tf from '@tensorflow/tfjs';
import { matMulAdd } from './ops';
import type { Rng } from '../util/rng';
import type { NamedTensor } from './safetensors';
import type { DropoutSource } from './dropout';
import { assignFrom, makeVariable } from './lora';

export const HEAD_HIDDEN = 128;

export interface HeadSettings {
  regression: boolean;
  /** Number of classes for the classification head (0 = no classification head). */
  numClasses: number;
  /** Dropout rate of the classification head (HF's classifier uses hidden_dropout_prob). */
  dropout: number;
}

export interface HeadOutputs {
  /** [B] regression output. */
  score?: tf.Tensor1D;
  /** [B, K] classification logits. */
  logits?: tf.Tensor2D;
}

type Lin = { W: tf.Variable<tf.Rank.R2>; b: tf.Variable<tf.Rank.R2> };

export class Heads {
  readonly settings: HeadSettings;
  readonly params = new Map<string, tf.Variable>();

  constructor(settings: HeadSettings) {
    this.settings = settings;
  }

  private lin(prefix: string): Lin {
    return { W: this.params.get(`${prefix}.weight`) as tf.Variable<tf.Rank.R2>, b: this.params.get(`${prefix}.bias`) as tf.Variable<tf.Rank.R2> };
  }

  /** Regression score only (used by the adaptive loss to get per-task feature gradients). */
  regression(h: tf.Tensor2D): tf.Tensor1D {
    const d = this.lin('regression.dense'), o = this.lin('regression.out');
    const z = tf.sigmoid(matMulAdd(h, d.W, d.b));
    return tf.reshape(matMulAdd(z, o.W, o.b), [-1]) as tf.Tensor1D;
  }

  classification(h: tf.Tensor2D, training: boolean, dropout?: DropoutSource): tf.Tensor2D {
    const d = this.lin('classification.dense'), o = this.lin('classification.out');
    const p = this.settings.dropout;
    const drop = (x: tf.Tensor2D) => (training && dropout ? dropout.apply(x, p) : x);
    const z = tf.tanh(matMulAdd(drop(h), d.W, d.b));
    return matMulAdd(drop(z as tf.Tensor2D), o.W, o.b);
  }

  forward(h: tf.Tensor2D, training: boolean, dropout?: DropoutSource): HeadOutputs {
    const out: HeadOutputs = {};
    if (this.settings.regression) out.score = this.regression(h);
    if (this.settings.numClasses > 0) out.logits = this.classification(h, training, dropout);
    return out;
  }

  variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  named(): [string, tf.Variable][] {
    return [...this.params.entries()].map(([k, v]) => [`heads.${k}`, v]);
  }

  paramCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Plain arrays, torch layout (bias as [out]). */
  async snapshot(): Promise<Record<string, NamedTensor>> {
    const out: Record<string, NamedTensor> = {};
    // await data(), not dataSync(): see LoraAdapter.snapshot.
    for (const [k, v] of this.params) out[k] = { shape: k.endsWith('.bias') ? [v.size] : v.shape.slice(), data: (await v.data()) as Float32Array };
    return out;
  }

  load(values: Record<string, NamedTensor>): void {
    for (const [k, v] of this.params) {
      const s = values[k];
      if (!s) throw new Error(`Head weights lack "${k}".`);
      if (s.data.length !== v.size) throw new Error(`Head weights "${k}" have ${s.data.length} values, expected ${v.size}.`);
      assignFrom(v, s.data);
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** Create the heads; RNG draws in a fixed order (regression dense W, b, out W, b, then classification). */
export function createHeads(hidden: number, settings: HeadSettings, rng: Rng): Heads {
  if (!settings.regression && settings.numClasses <= 0) throw new Error('At least one head is needed: regression and/or classification with ≥ 2 classes.');
  if (settings.numClasses === 1) throw new Error('A classification head needs at least 2 classes.');
  const heads = new Heads(settings);
  const linear = (prefix: string, inF: number, outF: number) => {
    const bound = 1 / Math.sqrt(inF);
    const w = new Float32Array(outF * inF);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
    const b = new Float32Array(outF);
    for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-bound, bound);
    heads.params.set(`${prefix}.weight`, makeVariable(w, [outF, inF], prefix.replace('.', '_') + '_W'));
    // Bias kept as [1, out] so it broadcasts in the fused matMul without a reshape kernel.
    heads.params.set(`${prefix}.bias`, makeVariable(b, [1, outF], prefix.replace('.', '_') + '_b'));
  };
  if (settings.regression) {
    linear('regression.dense', hidden, HEAD_HIDDEN);
    linear('regression.out', HEAD_HIDDEN, 1);
  }
  if (settings.numClasses > 0) {
    linear('classification.dense', hidden, HEAD_HIDDEN);
    linear('classification.out', HEAD_HIDDEN, settings.numClasses);
  }
  return heads;
}
