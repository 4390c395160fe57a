/**
 * Fused kernels for tfjs' WebGPU backend: LayerNorm forward/backward, exact-erf GELU forward/backward and
 * the attention's scaled + masked softmax forward/backward,
 * each one WGSL program (one dispatch) instead of 5–9 elementwise/reduction kernels that each read and write
 * the whole activation. Registered for the 'webgpu' backend only; ops.ts uses them when the active backend
 * has them and keeps the composite ops everywhere else (and as the reference the tests compare against).
 *
 * Plain objects in the shape of tfjs-webgpu's programs, run through the backend's runWebGPUProgram, so
 * nothing here imports the WebGPU package (this module also loads in Node, where it registers no-ops).
 */
import * as tf from '@tensorflow/tfjs';

export const LAYER_NORM = 'RankLabLayerNorm';
export const LAYER_NORM_GRAD = 'RankLabLayerNormGrad';
export const GELU = 'RankLabGelu';
export const GELU_GRAD = 'RankLabGeluGrad';
export const MASKED_SOFTMAX = 'RankLabMaskedSoftmax';
export const MASKED_SOFTMAX_GRAD = 'RankLabMaskedSoftmaxGrad';

/** What runWebGPUProgram needs of a program (tfjs-backend-webgpu's WebGPUProgram). */
interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode(): string;
}
type WebGPULike = { runWebGPUProgram(p: Program, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo };

const flat = (shape: number[]) => ({ x: shape.map((_, i) => i) });

/** One workgroup per row: a power of two ≤ 256 that covers the row (or loops over it). */
function rowWorkgroup(cols: number): number {
  let n = 32;
  while (n < cols && n < 256) n *= 2;
  return n;
}

/** Tree sum over the workgroup (`buf` of size WG); called in uniform control flow by every invocation. */
const ROW_SUM = (wg: number) => `
  var<workgroup> buf : array<f32, ${wg}>;
  fn rowSum(tid : i32, v : f32) -> f32 {
    buf[tid] = v;
    workgroupBarrier();
    for (var s = ${wg / 2}; s > 0; s = s / 2) {
      if (tid < s) { buf[tid] = buf[tid] + buf[tid + s]; }
      workgroupBarrier();
    }
    let r = buf[0];
    workgroupBarrier();
    return r;
  }`;

/** The start of a LayerNorm row program (forward and backward): x's mean and rstd over the row. */
const ROW_STATS = (wg: number, eps: number) => `
        var s = 0.0;
        for (var c = tid; c < cols; c += ${wg}) { s += getX(row, c); }
        let mean = rowSum(tid, s) / f32(cols);
        var v = 0.0;
        for (var c = tid; c < cols; c += ${wg}) { let d = getX(row, c) - mean; v += d * d; }
        let rstd = inverseSqrt(rowSum(tid, v) / f32(cols) + ${eps.toExponential()});`;

/**
 * A program over a [rows, cols] output with one workgroup of `wg` threads per row (rowWorkgroup): `body(wg)`
 * runs with `row`, `tid` (the thread) and `cols` defined and rowSum (plus `helpers`) available.
 */
function rowProgram(key: string, names: string[], rows: number, cols: number, body: (wg: number) => string, helpers: (wg: number) => string = () => ''): Program {
  const wg = rowWorkgroup(cols);
  return {
    variableNames: names,
    outputShape: [rows, cols],
    shaderKey: `${key}_${wg}`,
    dispatchLayout: flat([rows, cols]),
    dispatch: [rows, 1, 1],
    workgroupSize: [wg, 1, 1],
    getUserCode: () => `
      ${ROW_SUM(wg)}
      ${helpers(wg)}
      fn main(index : i32) {
        let row = index / ${wg};
        let tid = i32(localId.x);
        let cols = uniforms.outShape[1];
        ${body(wg)}
      }`,
  };
}

/** y = (x − mean) · rstd · γ + β per row of x [rows, cols]; two-pass mean/variance like the composite. */
function layerNormProgram(rows: number, cols: number, eps: number): Program {
  return rowProgram(`ranklab_layernorm_${eps}`, ['x', 'gamma', 'beta'], rows, cols, (wg) => `
        ${ROW_STATS(wg, eps)}
        for (var c = tid; c < cols; c += ${wg}) {
          setOutputAtCoords(row, c, (getX(row, c) - mean) * rstd * getGamma(c) + getBeta(c));
        }`);
}

/**
 * dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)), g = dy · γ, one pass per row: mean and rstd are recomputed
 * from x (a row is at most a few KiB, already being read), so the forward saves x alone.
 */
function layerNormGradProgram(rows: number, cols: number, eps: number): Program {
  return rowProgram(`ranklab_layernorm_grad_${eps}`, ['dy', 'x', 'gamma'], rows, cols, (wg) => `
        ${ROW_STATS(wg, eps)}
        let n = f32(cols);
        var sg = 0.0;
        var sgx = 0.0;
        for (var c = tid; c < cols; c += ${wg}) {
          let g = getDy(row, c) * getGamma(c);
          sg += g;
          sgx += g * (getX(row, c) - mean) * rstd;
        }
        let mg = rowSum(tid, sg) / n;
        let mgx = rowSum(tid, sgx) / n;
        for (var c = tid; c < cols; c += ${wg}) {
          let xh = (getX(row, c) - mean) * rstd;
          setOutputAtCoords(row, c, (getDy(row, c) * getGamma(c) - mg - xh * mgx) * rstd);
        }`);
}

/** Tree max over the workgroup, like ROW_SUM (shares its `buf`). */
const ROW_MAX = (wg: number) => `
  fn rowMax(tid : i32, v : f32) -> f32 {
    buf[tid] = v;
    workgroupBarrier();
    for (var s = ${wg / 2}; s > 0; s = s / 2) {
      if (tid < s) { buf[tid] = max(buf[tid], buf[tid + s]); }
      workgroupBarrier();
    }
    let r = buf[0];
    workgroupBarrier();
    return r;
  }`;

/**
 * Attention probabilities softmax(scores · scale + mask) per row of scores [rows, cols]; mask [batches, cols]
 * is additive, one row per sequence, shared by the `rowsPerBatch` consecutive score rows of that sequence.
 */
function maskedSoftmaxProgram(rows: number, cols: number, scale: number, rowsPerBatch: number): Program {
  const logit = (c: string) => `getScores(row, ${c}) * ${scale.toExponential()} + getMask(b, ${c})`;
  return rowProgram(`ranklab_masked_softmax_${scale}_${rowsPerBatch}`, ['scores', 'mask'], rows, cols, (wg) => `
        let b = row / ${rowsPerBatch};
        var m = -3.402823e+38f;
        for (var c = tid; c < cols; c += ${wg}) { m = max(m, ${logit('c')}); }
        let rm = rowMax(tid, m);
        var s = 0.0;
        for (var c = tid; c < cols; c += ${wg}) { s += exp(${logit('c')} - rm); }
        let rs = rowSum(tid, s);
        for (var c = tid; c < cols; c += ${wg}) {
          setOutputAtCoords(row, c, exp(${logit('c')} - rm) / rs);
        }`, ROW_MAX);
}

/** d scores = scale · y · (dy − Σ dy·y) per row, from the probabilities y the forward returned. */
function maskedSoftmaxGradProgram(rows: number, cols: number, scale: number): Program {
  return rowProgram(`ranklab_masked_softmax_grad_${scale}`, ['dy', 'y'], rows, cols, (wg) => `
        var s = 0.0;
        for (var c = tid; c < cols; c += ${wg}) { s += getDy(row, c) * getY(row, c); }
        let sdy = rowSum(tid, s);
        for (var c = tid; c < cols; c += ${wg}) {
          setOutputAtCoords(row, c, ${scale.toExponential()} * getY(row, c) * (getDy(row, c) - sdy));
        }`);
}

/** erf as tfjs computes it everywhere (Abramowitz & Stegun 7.1.26), so fused and composite agree. */
const ERF = () => {
  const b = tf.backend_util;
  return `
  fn erfApprox(a : f32) -> f32 {
    let t = 1.0 / (1.0 + ${b.ERF_P} * abs(a));
    return sign(a) * (1.0 - (((((${b.ERF_A5} * t + ${b.ERF_A4}) * t) + ${b.ERF_A3}) * t + ${b.ERF_A2}) * t + ${b.ERF_A1}) * t * exp(-a * a));
  }`;
};

function elementwiseProgram(key: string, names: string[], shape: number[], body: string): Program {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    variableNames: names,
    outputShape: shape,
    shaderKey: key,
    size: true,
    dispatchLayout: flat(shape),
    dispatch: [Math.ceil(size / 128), 1, 1],
    workgroupSize: [128, 1, 1],
    getUserCode: () => `
      ${ERF()}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** x · Φ(x), Φ(x) = (1 + erf(x/√2)) / 2 (HF "gelu"). */
const geluProgram = (shape: number[]) =>
  elementwiseProgram('ranklab_gelu', ['x'], shape, `
          let x = getXByOutputIndex(index);
          setOutputAtIndex(index, x * (0.5 + 0.5 * erfApprox(x * ${Math.SQRT1_2})));`);

/** dy · (Φ(x) + x · φ(x)). */
const geluGradProgram = (shape: number[]) =>
  elementwiseProgram('ranklab_gelu_grad', ['dy', 'x'], shape, `
          let x = getXByOutputIndex(index);
          let cdf = 0.5 + 0.5 * erfApprox(x * ${Math.SQRT1_2});
          let pdf = exp(-0.5 * x * x) * ${1 / Math.sqrt(2 * Math.PI)};
          setOutputAtIndex(index, getDyByOutputIndex(index) * (cdf + x * pdf));`);

let registered = false;

/** Registers the fused kernels for the 'webgpu' backend (idempotent; harmless where WebGPU is absent). */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  const run = (backend: unknown, p: Program, inputs: tf.TensorInfo[]) => (backend as WebGPULike).runWebGPUProgram(p, inputs, 'float32');
  const rowsCols = (t: tf.TensorInfo) => [t.shape.slice(0, -1).reduce((a, b) => a * b, 1), t.shape[t.shape.length - 1]];
  tf.registerKernel({
    kernelName: LAYER_NORM,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const [rows, cols] = rowsCols(x);
      return run(backend, layerNormProgram(rows, cols, (attrs as { eps: number }).eps), [x, gamma, beta]);
    },
  });
  tf.registerKernel({
    kernelName: LAYER_NORM_GRAD,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma } = inputs as Record<string, tf.TensorInfo>;
      const [rows, cols] = rowsCols(x);
      return run(backend, layerNormGradProgram(rows, cols, (attrs as { eps: number }).eps), [dy, x, gamma]);
    },
  });
  tf.registerKernel({
    kernelName: MASKED_SOFTMAX,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { scores, mask } = inputs as Record<string, tf.TensorInfo>;
      const [rows, cols] = rowsCols(scores);
      const { scale, rowsPerBatch } = attrs as { scale: number; rowsPerBatch: number };
      return run(backend, maskedSoftmaxProgram(rows, cols, scale, rowsPerBatch), [scores, mask]);
    },
  });
  tf.registerKernel({
    kernelName: MASKED_SOFTMAX_GRAD,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, y } = inputs as Record<string, tf.TensorInfo>;
      const [rows, cols] = rowsCols(y);
      return run(backend, maskedSoftmaxGradProgram(rows, cols, (attrs as { scale: number }).scale), [dy, y]);
    },
  });
  tf.registerKernel({
    kernelName: GELU,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as Record<string, tf.TensorInfo>;
      return run(backend, geluProgram(x.shape), [x]);
    },
  });
  tf.registerKernel({
    kernelName: GELU_GRAD,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      return run(backend, geluGradProgram(x.shape), [dy, x]);
    },
  });
}

/** Whether the active backend has the fused kernels (and they are switched on). */
export function hasFused(name: string): boolean {
  return fusedEnabled && tf.getKernel(name, tf.getBackend()) !== undefined;
}

let fusedEnabled = true;
/** Switch the fused kernels off (or on again) — for checking them against the composite ops. */
export function setFusedKernels(on: boolean): void {
  fusedEnabled = on;
}

/** Runs a registered fused kernel on the active backend. */
export function runFused(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
