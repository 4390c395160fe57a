/**
 * AdamW exactly as torch.optim.AdamW (decoupled weight decay applied first, bias-corrected moments,
 * eps added after dividing √v by √(1−β₂ᵗ)) and global gradient-norm clipping as torch clip_grad_norm_.
 * Everything stays on the device: no read-back per step; per-step scalars are created once per step.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWSettings {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}
export const ADAMW_DEFAULTS: AdamWSettings = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export interface OptimizerState {
  step: number;
  /** Per parameter name: first and second moments (structured-clone friendly typed arrays). */
  moments: Record<string, { m: Float32Array; v: Float32Array }>;
}

export class AdamW {
  readonly settings: AdamWSettings;
  step = 0;
  private readonly params: [string, tf.Variable][];
  /** Moments of all parameters, flattened in parameter order: one fused update per step, not one per tensor. */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly sizes: number[];
  private readonly consts: tf.Scalar[];

  constructor(params: [string, tf.Variable][], settings: Partial<AdamWSettings> = {}) {
    this.settings = { ...ADAMW_DEFAULTS, ...settings };
    this.params = params;
    this.sizes = params.map(([, p]) => p.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = makeVar(new Float32Array(total));
    this.v = makeVar(new Float32Array(total));
    const s = this.settings;
    // Resident constants: no scalar upload per step.
    this.consts = [tf.scalar(s.beta1), tf.scalar(1 - s.beta1), tf.scalar(s.beta2), tf.scalar(1 - s.beta2), tf.scalar(s.eps)];
  }

  /**
   * One update from the flattened gradient (parameter order). `lr` is this step's learning rate (the
   * schedule is applied by the caller).
   */
  applyFlat(g: tf.Tensor1D, lr: number): void {
    this.step += 1;
    const s = this.settings;
    const bc1 = 1 - Math.pow(s.beta1, this.step);
    const bc2sqrt = Math.sqrt(1 - Math.pow(s.beta2, this.step));
    const [b1, omb1, b2, omb2, eps] = this.consts;
    tf.tidy(() => {
      // Three per-step scalars, uploaded once per step (12 bytes).
      const [decay, stepSize, invBc2] = tf.split(tf.tensor1d([1 - lr * s.weightDecay, -lr / bc1, 1 / bc2sqrt]), 3);
      const m = tf.add(tf.mul(this.m, b1), tf.mul(g, omb1));
      const v = tf.add(tf.mul(this.v, b2), tf.mul(tf.square(g), omb2));
      const upd = tf.mul(tf.div(m, tf.add(tf.mul(tf.sqrt(v), invBc2), eps)), stepSize);
      this.m.assign(m);
      this.v.assign(v);
      const p = flatten(this.params.map(([, q]) => q));
      const np = tf.add(tf.mul(p, decay), upd);
      const parts = this.params.length === 1 ? [np] : tf.split(np, this.sizes);
      this.params.forEach(([, q], i) => q.assign(tf.reshape(parts[i], q.shape)));
    });
  }

  /** Moments as plain arrays (async: dataSync() is unreliable on tfjs-webgpu, see LoraAdapter.snapshot). */
  async getState(): Promise<OptimizerState> {
    const moments: OptimizerState['moments'] = {};
    const m = (await this.m.data()) as Float32Array, v = (await this.v.data()) as Float32Array;
    let o = 0;
    this.params.forEach(([name], i) => {
      moments[name] = { m: m.slice(o, o + this.sizes[i]), v: v.slice(o, o + this.sizes[i]) };
      o += this.sizes[i];
    });
    return { step: this.step, moments };
  }

  setState(state: OptimizerState): void {
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const m = new Float32Array(total), v = new Float32Array(total);
    let o = 0;
    this.params.forEach(([name], i) => {
      const st = state.moments[name];
      if (!st || st.m.length !== this.sizes[i] || st.v.length !== this.sizes[i]) throw new Error(`Optimizer state lacks or mis-sizes "${name}".`);
      m.set(st.m, o);
      v.set(st.v, o);
      o += this.sizes[i];
    });
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(m));
      this.v.assign(tf.tensor1d(v));
    });
    this.step = state.step;
  }

  dispose(): void {
    [this.m, this.v, ...this.consts].forEach((t) => t.dispose());
  }
}

function makeVar(data: Float32Array): tf.Variable {
  const t = tf.tensor1d(data);
  const v = tf.variable(t, false);
  t.dispose();
  return v;
}

/** Concatenate tensors into one vector (reshape is free; one concat kernel). */
export function flatten(ts: tf.Tensor[]): tf.Tensor1D {
  const flat = ts.map((t) => tf.reshape(t, [-1]));
  return (flat.length === 1 ? flat[0] : tf.concat(flat)) as tf.Tensor1D;
}

/**
 * Scale a flattened gradient so its L2 norm is at most maxNorm, as torch clip_grad_norm_ (coef =
 * max/(norm+1e-6), clamped to 1, always applied; one vector: 3 + 4 kernels, not 2 per tensor, and no tf.addN,
 * which sums 8+ inputs wrongly on tfjs-webgpu). Returns the clipped gradient and the pre-clip norm (new tensors).
 */
export function clipFlat(g: tf.Tensor1D, maxNorm: number): { grad: tf.Tensor1D; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(g))) as tf.Scalar;
    if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return { grad: g.clone(), norm };
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grad: tf.mul(g, coef) as tf.Tensor1D, norm };
  });
}
