/**
 * Fused building blocks with hand-written gradients. tfjs' autodiff would also be correct, but these cut
 * kernels per step: the frozen linear never computes a weight gradient (tfjs' fused matMul gradient always
 * does), and LayerNorm / GELU backward reuse what the forward saved.
 */
import * as tf from '@tensorflow/tfjs';
import { GELU, GELU_GRAD, hasFused, LAYER_NORM, LAYER_NORM_GRAD, MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD, registerFusedKernels, runFused } from './fusedKernels';

registerFusedKernels();

export interface CustomOpResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** Typed wrapper over tf.customGrad: `f(inputs, save)`; the gradient returns one tensor per input. */
export function customOp(f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => CustomOpResult): (...x: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const r = f(args.slice(0, -1) as tf.Tensor[], save);
    return { value: r.value, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => r.gradFunc(dy as tf.Tensor, saved) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return g as unknown as (...x: tf.Tensor[]) => tf.Tensor;
}

/** y = x Wᵀ + b for a frozen W [out, in]; backward computes only dx = dy W. */
/**
 * a · bᵀ + bias, in one fused kernel except on wasm: tfjs-backend-wasm 4.22's fused matMul rejects a bias of
 * rank > 1 and, with transposeB and a rank-1 bias, returns wrong values (rel. error ≈ 0.1, found by the
 * browser reference check), so there it is a plain matMul and an add.
 */
export function matMulAdd(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.fused.matMul({ a, b, transposeB: true, bias }) as tf.Tensor2D;
  return tf.add(tf.matMul(a, b, false, true), bias);
}

export function makeFrozenLinear(W: tf.Tensor2D, b: tf.Tensor1D): (x: tf.Tensor2D) => tf.Tensor2D {
  const f = customOp(([x]) => ({
    value: matMulAdd(x as tf.Tensor2D, W, b),
    gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, W),
  }));
  return f as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
}

/**
 * Resident scalar constants. `tf.mul(x, 0.5)` uploads a fresh scalar each call (an upload per layer per
 * step on a GPU); these are created once and owned by the model.
 */
export class Consts {
  private readonly cache = new Map<number, tf.Scalar>();
  get(v: number): tf.Scalar {
    let t = this.cache.get(v);
    if (!t) {
      t = tf.keep(tf.scalar(v));
      this.cache.set(v, t);
    }
    return t;
  }
  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}

/**
 * LayerNorm over the last axis with frozen gamma/beta: y = (x − μ)/√(σ² + eps)·γ + β. On a backend with the
 * fused kernels (webgpu) forward and backward are one kernel each; elsewhere the composite below.
 */
export function makeLayerNorm(gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, c: Consts): (x: tf.Tensor2D) => tf.Tensor2D {
  const epsT = c.get(eps);
  const composite = customOp(([x], save) => {
    const mean = tf.mean(x, -1, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true);
    const rstd = tf.rsqrt(tf.add(variance, epsT));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy, saved) => {
        const [xh, rs] = saved;
        // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)), g = dy · γ
        const g = tf.mul(dy, gamma);
        const mg = tf.mean(g, -1, true);
        const mgx = tf.mean(tf.mul(g, xh), -1, true);
        return tf.mul(tf.sub(tf.sub(g, mg), tf.mul(xh, mgx)), rs);
      },
    };
  });
  const fused = customOp(([x], save) => {
    save([x]);
    return {
      value: runFused(LAYER_NORM, { x, gamma, beta }, { eps }),
      gradFunc: (dy, [xs]) => runFused(LAYER_NORM_GRAD, { dy, x: xs, gamma }, { eps }),
    };
  });
  return ((x: tf.Tensor2D) => (hasFused(LAYER_NORM) ? fused(x) : composite(x))) as (x: tf.Tensor2D) => tf.Tensor2D;
}

/** Exact GELU, x·Φ(x) with Φ via erf (HF "gelu"), with a backward that reuses Φ; fused kernels on webgpu. */
export function makeGelu(c: Consts): <T extends tf.Tensor>(x: T) => T {
  const sqrt1_2 = c.get(Math.SQRT1_2), half = c.get(0.5), negHalf = c.get(-0.5), invSqrt2Pi = c.get(1 / Math.sqrt(2 * Math.PI));
  const composite = customOp(([x], save) => {
    const cdf = tf.add(tf.mul(tf.erf(tf.mul(x, sqrt1_2)), half), half);
    save([x, cdf]);
    return {
      value: tf.mul(x, cdf),
      gradFunc: (dy, saved) => {
        const [xs, cd] = saved;
        // d/dx x·Φ(x) = Φ(x) + x·φ(x)
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), negHalf)), invSqrt2Pi);
        return tf.mul(dy, tf.add(cd, tf.mul(xs, pdf)));
      },
    };
  });
  const fused = customOp(([x], save) => {
    save([x]);
    return { value: runFused(GELU, { x }), gradFunc: (dy, [xs]) => runFused(GELU_GRAD, { dy, x: xs }) };
  });
  return (<T extends tf.Tensor>(x: T) => (hasFused(GELU) ? fused(x) : composite(x)) as T);
}

/**
 * Attention probabilities softmax(scores · scale + mask) for scores [B, heads, Sq, S] and the additive mask
 * [B, 1, 1, S]. On webgpu one fused kernel each way (the mask is a constant: no gradient flows to it);
 * elsewhere the composite ops with tfjs' own gradients.
 */
export function maskedSoftmax(scores: tf.Tensor4D, mask: tf.Tensor4D, scale: number, c: Consts): tf.Tensor4D {
  if (!hasFused(MASKED_SOFTMAX)) return tf.softmax(tf.add(tf.mul(scores, c.get(scale)), mask));
  const [B, nh, Sq, S] = scores.shape;
  const mask2 = tf.reshape(mask, [B, S]);
  const f = customOp(([s], save) => {
    const y = tf.reshape(runFused(MASKED_SOFTMAX, { scores: tf.reshape(s, [B * nh * Sq, S]), mask: mask2 }, { scale, rowsPerBatch: nh * Sq }), [B, nh, Sq, S]);
    save([y]);
    return {
      value: y,
      gradFunc: (dy, [ys]) => tf.reshape(runFused(MASKED_SOFTMAX_GRAD, { dy: tf.reshape(dy, [B * nh * Sq, S]), y: tf.reshape(ys, [B * nh * Sq, S]) }, { scale }), [B, nh, Sq, S]),
    };
  });
  return f(scores) as tf.Tensor4D;
}
