/**
 * Checks the fused kernels (fusedKernels.ts) against the composite ops on random inputs, forward and
 * backward, on the active backend: the e2e suite runs it on WebGPU, where the fused path is taken. Returns
 * the largest relative error per quantity (max |fused − composite| / max |composite|) and the kernels each
 * fused call launched, so a check cannot pass by silently running the composite twice.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { Consts, makeGelu, makeLayerNorm, maskedSoftmax } from './ops';
import { setFusedKernels } from './fusedKernels';

export interface FusedCheckResult {
  backend: string;
  maxRelErr: Record<string, number>;
  /** Kernel names of each fused forward and backward call (tf.profile; metadata-only kernels and scope
   *  entries — customGrad's, named after its function and so '' in a minified build, and tidy's — left out). */
  kernels: Record<string, string[]>;
  tensorsLeaked: number;
}

const rand = (rng: Rng, n: number, scale: number, offset = 0) => Float32Array.from({ length: n }, () => offset + scale * rng.normal());

async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let diff = 0, ref = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return Infinity;
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    ref = Math.max(ref, Math.abs(y[i]));
  }
  return diff / Math.max(ref, 1e-12);
}

/** Value and input gradient of f at x for upstream gradient dy, with the fused kernels on or off. */
function valueAndGrad(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, dy: tf.Tensor, fused: boolean): [tf.Tensor, tf.Tensor] {
  setFusedKernels(fused);
  try {
    return tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dy)))(x);
      value.dispose();
      return [f(x), grad];
    });
  } finally {
    setFusedKernels(true);
  }
}

async function kernelNames(run: () => tf.Tensor): Promise<string[]> {
  let out: tf.Tensor | undefined;
  // In a tidy, as every op of the model runs: intermediates (reshapes of the mask) go with it.
  const info = await tf.profile(() => {
    out = tf.tidy(run);
    return out;
  });
  out?.dispose();
  return info.kernels.map((k) => k.name).filter((n) => !['Identity', 'Reshape', 'forward', '', 'unnamed scope'].includes(n));
}

export async function checkFusedKernels(seed = 1): Promise<FusedCheckResult> {
  const before = tf.memory().numTensors;
  const rng = new Rng(seed);
  const consts = new Consts();
  const maxRelErr: Record<string, number> = {};
  const kernels: Record<string, string[]> = {};
  const eps = 1e-5;
  // Rows shorter than, equal to and longer than a workgroup, and a width that is no power of two.
  for (const [rows, cols] of [[37, 128], [6, 768], [3, 1000]]) {
    const gamma = tf.tensor1d(rand(rng, cols, 0.5, 1));
    const beta = tf.tensor1d(rand(rng, cols, 0.2));
    const x = tf.tensor2d(rand(rng, rows * cols, 3, 2), [rows, cols]);
    const dy = tf.tensor2d(rand(rng, rows * cols, 1), [rows, cols]);
    const ln = makeLayerNorm(gamma, beta, eps, consts) as (v: tf.Tensor) => tf.Tensor;
    const [yf, gf] = valueAndGrad(ln, x, dy, true);
    const [yc, gc] = valueAndGrad(ln, x, dy, false);
    maxRelErr[`layerNorm ${rows}x${cols}`] = await relErr(yf, yc);
    maxRelErr[`layerNorm grad ${rows}x${cols}`] = await relErr(gf, gc);
    if (cols === 768) {
      kernels.layerNorm = await kernelNames(() => ln(x));
      kernels.layerNormGrad = await kernelNames(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(ln(v), dy)))(x));
    }
    tf.dispose([gamma, beta, x, dy, yf, gf, yc, gc]);
  }
  const gelu = makeGelu(consts);
  // Both tails and the middle: erf saturates beyond ±4.
  const n = 50 * 301;
  const x = tf.tensor2d(Float32Array.from({ length: n }, (_, i) => -8 + (16 * i) / n + 0.01 * rng.normal()), [50, 301]);
  const dy = tf.tensor2d(rand(rng, n, 1), [50, 301]);
  const [yf, gf] = valueAndGrad(gelu, x, dy, true);
  const [yc, gc] = valueAndGrad(gelu, x, dy, false);
  maxRelErr.gelu = await relErr(yf, yc);
  maxRelErr['gelu grad'] = await relErr(gf, gc);
  kernels.gelu = await kernelNames(() => gelu(x));
  kernels.geluGrad = await kernelNames(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), dy)))(x));
  tf.dispose([x, dy, yf, gf, yc, gc]);
  // Attention: 3 sequences × 2 heads, 5 query rows (and 1, the last layer's <s> row) over 37 keys, the
  // last keys of two sequences masked out as padding is.
  for (const Sq of [5, 1]) {
    const [B, nh, S] = [3, 2, 37];
    const scores = tf.tensor4d(rand(rng, B * nh * Sq * S, 4), [B, nh, Sq, S]);
    const mask = tf.tensor4d(Float32Array.from({ length: B * S }, (_, i) => (i % S >= S - 3 * (Math.floor(i / S) % 3) ? -1e9 : 0)), [B, 1, 1, S]);
    const dys = tf.tensor4d(rand(rng, B * nh * Sq * S, 1), [B, nh, Sq, S]);
    const sm = (v: tf.Tensor) => maskedSoftmax(v as tf.Tensor4D, mask, 0.125, consts);
    const [pf, qf] = valueAndGrad(sm, scores, dys, true);
    const [pc, qc] = valueAndGrad(sm, scores, dys, false);
    maxRelErr[`maskedSoftmax Sq=${Sq}`] = await relErr(pf, pc);
    maxRelErr[`maskedSoftmax grad Sq=${Sq}`] = await relErr(qf, qc);
    if (Sq === 5) {
      kernels.maskedSoftmax = await kernelNames(() => sm(scores));
      kernels.maskedSoftmaxGrad = await kernelNames(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(sm(v), dys)))(scores));
    }
    tf.dispose([scores, mask, dys, pf, qf, pc, qc]);
  }
  consts.dispose();
  return { backend: tf.getBackend(), maxRelErr, kernels, tensorsLeaked: tf.memory().numTensors - before };
}
