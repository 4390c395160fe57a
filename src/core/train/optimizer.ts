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
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly consts: tf.Scalar[];

  constructor(params: [string, tf.Variable][], settings: Partial<AdamWSettings> = {}) {
    this.settings = { ...ADAMW_DEFAULTS, ...settings };
    this.params = params;
    const zeros = (p: tf.Variable) => {
      const z = tf.zerosLike(p);
      const v = tf.variable(z, false);
      z.dispose();
      return v;
    };
    this.m = params.map(([, p]) => zeros(p));
    this.v = params.map(([, p]) => zeros(p));
    const s = this.settings;
    // Resident constants: no scalar upload per parameter per step.
    this.consts = [tf.scalar(s.beta1), tf.scalar(1 - s.beta1), tf.scalar(s.beta2), tf.scalar(1 - s.beta2), tf.scalar(s.eps)];
  }

  /**
   * One update with gradients in the same order as the params. `lr` is this step's learning rate
   * (schedule applied by the caller). Disposes nothing it did not create.
   */
  apply(grads: tf.Tensor[], lr: number): void {
    this.step += 1;
    const s = this.settings;
    const bc1 = 1 - Math.pow(s.beta1, this.step);
    const bc2sqrt = Math.sqrt(1 - Math.pow(s.beta2, this.step));
    const [b1, omb1, b2, omb2, eps] = this.consts;
    tf.tidy(() => {
      const decay = tf.scalar(1 - lr * s.weightDecay);
      const stepSize = tf.scalar(-lr / bc1);
      const invBc2 = tf.scalar(1 / bc2sqrt);
      this.params.forEach(([, p], i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, omb1));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), omb2));
        const denom = tf.add(tf.mul(tf.sqrt(v), invBc2), eps);
        const np = tf.add(tf.mul(p, decay), tf.mul(tf.div(m, denom), stepSize));
        this.m[i].assign(m);
        this.v[i].assign(v);
        p.assign(np);
      });
    });
  }

  getState(): OptimizerState {
    const moments: OptimizerState['moments'] = {};
    this.params.forEach(([name], i) => {
      moments[name] = { m: Float32Array.from(this.m[i].dataSync()), v: Float32Array.from(this.v[i].dataSync()) };
    });
    return { step: this.step, moments };
  }

  setState(state: OptimizerState): void {
    this.params.forEach(([name, p], i) => {
      const st = state.moments[name];
      if (!st || st.m.length !== p.size || st.v.length !== p.size) throw new Error(`Optimizer state lacks or mis-sizes "${name}".`);
      tf.tidy(() => {
        this.m[i].assign(tf.tensor(st.m, p.shape));
        this.v[i].assign(tf.tensor(st.v, p.shape));
      });
    });
    this.step = state.step;
  }

  dispose(): void {
    [...this.m, ...this.v, ...this.consts].forEach((t) => t.dispose());
  }
}

/**
 * Scale gradients so their global L2 norm is at most maxNorm (torch clip_grad_norm_: coef = max/(norm+1e-6),
 * clamped to 1, always applied). Returns the clipped gradients and the pre-clip norm (both new tensors).
 */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const sq = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(sq.length === 1 ? sq[0] : tf.addN(sq)) as tf.Scalar;
    if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return { grads: grads.map((g) => g.clone()), norm };
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
    return { grads: grads.map((g) => tf.mul(g, coef)), norm };
  });
}
