/**
 * LoRA whose rank components can be switched off, for in-training pruning (AdaLoRA / SalientLoRA):
 * h = W x + b + B · diag(s · m) · A · dropout(x), with m ∈ {0, 1}^r per matrix. Component i is the pair
 * (column i of B, row i of A), the analogue of AdaLoRA's triplet (P_{·i}, λ_i, Q_{i·}). A switched-off
 * component gets no gradient (its contribution is multiplied by 0), like AdaLoRA's zeroed λ_i.
 *
 * It extends LoraAdapter so the shared training step (lossAndGrads, trainables, AdamW) drives it unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulAdd } from '../model/ops';
import { LoraAdapter, loraKey } from '../model/lora';
import type { LinearAdapter } from '../model/roberta';
import type { TargetModule } from '../model/adapter';

let counter = 0;

export class MaskedLoraAdapter extends LoraAdapter {
  /** Per entry key: [1, r] = scale · mask (non-trainable). */
  private readonly scaledMasks = new Map<string, tf.Variable<tf.Rank.R2>>();
  private readonly current = new Map<string, boolean[]>();
  private isTraining = true;

  /** Take over the entries (A, B variables) of a freshly created LoRA; `source` is left empty. */
  static wrap(source: LoraAdapter): MaskedLoraAdapter {
    const m = new MaskedLoraAdapter(source.settings, source.alphas);
    for (const [k, e] of source.entries) {
      m.entries.set(k, e);
      const init = tf.fill([1, e.rank], e.scale) as tf.Tensor2D;
      m.scaledMasks.set(k, tf.variable(init, false, `lora_mask_${k}_${++counter}`) as tf.Variable<tf.Rank.R2>);
      init.dispose();
      m.current.set(k, new Array<boolean>(e.rank).fill(true));
    }
    source.entries.clear();
    return m;
  }

  override setTraining(t: boolean): void {
    super.setTraining(t);
    this.isTraining = t;
  }

  override get(layer: number, target: TargetModule): LinearAdapter | undefined {
    const k = loraKey(layer, target);
    const e = this.entries.get(k);
    const sm = this.scaledMasks.get(k);
    if (!e || !sm) return undefined;
    const p = this.settings.dropout;
    return {
      apply: (x, base, drop) => {
        const xd = this.isTraining && drop ? drop.apply(x, p) : x;
        const u = tf.mul(tf.matMul(xd, e.A, false, true), sm);
        return matMulAdd(u as tf.Tensor2D, e.B, base);
      },
    };
  }

  /** The keep-mask of one matrix (copy). */
  mask(layer: number, target: TargetModule): boolean[] {
    const m = this.current.get(loraKey(layer, target));
    if (!m) throw new Error(`no LoRA adapter on layer ${layer}, ${target}`);
    return [...m];
  }

  /** Replace the keep-mask of one matrix; uploads only when it changed. */
  setMask(layer: number, target: TargetModule, keep: readonly boolean[]): void {
    const k = loraKey(layer, target);
    const e = this.entries.get(k);
    const v = this.scaledMasks.get(k);
    if (!e || !v) throw new Error(`no LoRA adapter on layer ${layer}, ${target}`);
    if (keep.length !== e.rank) throw new Error(`mask for layer ${layer}, ${target} has ${keep.length} entries, the adapter has rank ${e.rank}`);
    const cur = this.current.get(k)!;
    if (keep.every((b, i) => b === cur[i])) return;
    const t = tf.tensor2d(keep.map((b) => (b ? e.scale : 0)), [1, e.rank]);
    v.assign(t);
    t.dispose();
    this.current.set(k, [...keep]);
  }

  /** scale · mask tensor of one matrix ([1, r]); owned by the adapter. */
  scaledMask(layer: number, target: TargetModule): tf.Tensor2D {
    const v = this.scaledMasks.get(loraKey(layer, target));
    if (!v) throw new Error(`no LoRA adapter on layer ${layer}, ${target}`);
    return v;
  }

  override dispose(): void {
    super.dispose();
    for (const v of this.scaledMasks.values()) v.dispose();
    this.scaledMasks.clear();
    this.current.clear();
  }
}
