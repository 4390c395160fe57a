/**
 * Training-step benchmark shared by `npm run bench:train` (Node) and the browser e2e (webgpu/webgl):
 * a full LoRA step (query+value, rank 8, regression head, AdamW, clipping) at batch 10 × 64 tokens on a
 * random-weight model of the given shape. Reports throughput and the work per step: kernels (tf.profile),
 * bytes uploaded from JS (counted at the engine's makeTensor), live tensors after step 2 and the last, and
 * the most bytes of tensor data alive at once during a step (see trackPeakBytes).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import type { NamedTensor } from '../model/safetensors';
import { buildModel, type RobertaModel } from '../model/roberta';
import type { RobertaConfig } from '../model/config';
import { createLora } from '../model/lora';
import { createHeads } from '../model/heads';
import { DropoutPool } from '../model/dropout';
import { AdamW } from '../train/optimizer';
import { makeBatch, trainStep, trainables, type TrainContext } from '../train/step';
import type { TargetModule } from '../model/adapter';
import { estimateStepMemory } from '../model/memory';
import { hasFused, LAYER_NORM } from '../model/fusedKernels';

export type BenchCase = 'tiny' | 'roberta-base-shape' | 'roberta-large-shape';

export const BENCH_SHAPES: Record<BenchCase, { layers: number; hidden: number; heads: number; intermediate: number }> = {
  tiny: { layers: 4, hidden: 128, heads: 4, intermediate: 512 },
  'roberta-base-shape': { layers: 12, hidden: 768, heads: 12, intermediate: 3072 },
  'roberta-large-shape': { layers: 24, hidden: 1024, heads: 16, intermediate: 4096 },
};

export function benchConfig(c: BenchCase): RobertaConfig {
  const s = BENCH_SHAPES[c];
  return {
    modelType: 'roberta', vocabSize: 50265, hiddenSize: s.hidden, numLayers: s.layers, numHeads: s.heads, intermediateSize: s.intermediate,
    maxPositions: 514, typeVocabSize: 1, layerNormEps: 1e-5, padId: 1, hiddenDropout: 0.1, attentionDropout: 0.1, name: `random-${c}`,
  };
}

/**
 * Random weights with the HF names and shapes. Tensors of the same shape share one buffer (the backbone is
 * frozen, so sharing changes nothing about the work per step) to keep memory and build time low.
 */
export function randomWeights(config: RobertaConfig, seed = 1): Map<string, NamedTensor> {
  const rng = new Rng(seed);
  const pool = new Map<string, Float32Array>();
  const get = (shape: number[], std: number, fill?: number) => {
    const key = `${shape.join('x')}:${std}:${fill}`;
    let d = pool.get(key);
    if (!d) {
      d = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (fill !== undefined) d.fill(fill);
      // Cheap pseudo-normal (sum of uniforms): shapes matter here, not the distribution's tails.
      else for (let i = 0; i < d.length; i++) d[i] = (rng.next() + rng.next() + rng.next() - 1.5) * 2 * std;
      pool.set(key, d);
    }
    return { shape, data: d };
  };
  const H = config.hiddenSize, I = config.intermediateSize;
  const t = new Map<string, NamedTensor>();
  t.set('embeddings.word_embeddings.weight', get([config.vocabSize, H], 0.02));
  t.set('embeddings.position_embeddings.weight', get([config.maxPositions, H], 0.02));
  t.set('embeddings.token_type_embeddings.weight', get([config.typeVocabSize, H], 0.02));
  t.set('embeddings.LayerNorm.weight', get([H], 0, 1));
  t.set('embeddings.LayerNorm.bias', get([H], 0, 0));
  for (let l = 0; l < config.numLayers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      t.set(`${p}${n}.weight`, get([H, H], 0.02));
      t.set(`${p}${n}.bias`, get([H], 0.02));
    }
    t.set(`${p}intermediate.dense.weight`, get([I, H], 0.02));
    t.set(`${p}intermediate.dense.bias`, get([I], 0.02));
    t.set(`${p}output.dense.weight`, get([H, I], 0.02));
    t.set(`${p}output.dense.bias`, get([H], 0.02));
    for (const n of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      t.set(`${p}${n}.weight`, get([H], 0, 1));
      t.set(`${p}${n}.bias`, get([H], 0, 0));
    }
  }
  return t;
}

export interface BenchResult {
  case: BenchCase;
  backend: string;
  batch: number;
  seqLen: number;
  tokensPerSec: number;
  msPerStep: number;
  kernelsPerStep: number;
  /** Kernels that launch work on a device: excludes Identity/Reshape (metadata only on every backend) and
   *  tf.profile's scope entries for customGrad ("forward") and fused-op wrappers ("…__op"). */
  dispatchKernels: number;
  /** Kernels per encoder layer (whole step's kernels minus a 1-layer model's, divided by layers − 1). */
  kernelsPerLayer?: number;
  /** Dispatch kernels per encoder layer (same difference, Identity/Reshape/scopes left out). */
  dispatchKernelsPerLayer?: number;
  uploadBytesPerStep: number;
  numTensorsStep2: number;
  numTensorsLast: number;
  /** Most bytes of tensor data alive at any moment of step 2 (weights, activations saved for backward,
   *  gradients, optimizer state); see trackPeakBytes. */
  peakBytes: number;
  /** Of peakBytes, what is held between steps (frozen weights, LoRA, heads, optimizer state, dropout pool). */
  residentBytes: number;
  /** The memory model's peak for this step (core/model/memory.ts); absent on wasm, which it does not model. */
  modelPeakBytes?: number;
  /** webgpu: bytes of GPU buffers tfjs holds after step 2 (its pool keeps freed buffers for reuse). */
  gpuBytesAllocated?: number;
  steps: number;
}

/** Count bytes handed to the engine as new tensor data (uploads from JS) while `f` runs. */
export async function countUploads<T>(f: () => Promise<T> | T): Promise<{ result: T; bytes: number }> {
  const eng = tf.engine() as unknown as { makeTensor: (...a: unknown[]) => unknown };
  const orig = eng.makeTensor;
  let bytes = 0;
  eng.makeTensor = function (this: unknown, ...a: unknown[]) {
    const v = a[0] as { byteLength?: number; length?: number } | undefined;
    bytes += v?.byteLength ?? (v?.length ?? 0) * 4;
    return orig.apply(this, a);
  };
  try {
    const result = await f();
    return { result, bytes };
  } finally {
    eng.makeTensor = orig;
  }
}

export interface BenchSetup {
  model: RobertaModel;
  ctx: TrainContext;
  opt: AdamW;
  step: () => Promise<number>;
  dispose: () => void;
}

/** The LoRA of a bench step: query+value rank 8 unless said otherwise; `recompute` = activation recomputation. */
export interface BenchLora {
  targets?: TargetModule[];
  rank?: number;
  recompute?: boolean;
}

export function setupBench(config: RobertaConfig, tensors: Map<string, NamedTensor>, batch = 10, seqLen = 64, seed = 1, withDropout = true, shape: BenchLora = {}): BenchSetup {
  const model = buildModel(config, tensors);
  const rng = new Rng(seed);
  const targets = shape.targets ?? ['attention.self.query', 'attention.self.value'];
  const lora = createLora(model, { targets, ranks: model.layers.map(() => shape.rank ?? 8), alphas: 16, rslora: false, dropout: 0.05 }, rng);
  const heads = createHeads(config.hiddenSize, { regression: true, numClasses: 0, dropout: 0.1 }, rng);
  const dropout = withDropout ? new DropoutPool(seed, rng.fork('dropout')) : undefined;
  const ctx: TrainContext = { model, lora, heads, dropout, recompute: shape.recompute, loss: { regWeight: 1, clsWeight: 0, adaptive: false, smoothing: 0.9, minorityLambda: 0 } };
  const opt = new AdamW(trainables(ctx), { lr: 1e-4 });
  const rows = Array.from({ length: batch }, () => ({
    ids: [0, ...Array.from({ length: seqLen - 2 }, () => 3 + rng.int(config.vocabSize - 3)), 2],
    score: rng.uniform(-1, 1),
  }));
  const step = async () => {
    const b = makeBatch(model, rows, { regression: true, numClasses: 0 });
    const r = trainStep(ctx, opt, b, 1e-4, 1, null);
    b.dispose();
    const loss = (await r.loss.data())[0];
    [r.loss, r.regLoss, r.clsLoss, r.weights, r.ema, r.gradNorm].forEach((t) => t?.dispose());
    return loss;
  };
  return {
    model, ctx, opt, step,
    dispose: () => {
      opt.dispose();
      dropout?.dispose();
      lora.dispose();
      heads.dispose();
      model.dispose();
    },
  };
}

type EngineInternals = {
  state: { tensorInfo: WeakMap<object, { bytes: number }> };
  trackTensor: (a: { dataId: object }, backend: unknown) => void;
  removeDataId: (dataId: object, backend: unknown) => void;
};

/**
 * Bytes of tensor data alive (`now`) and the most at once since `resetPeak` (`peak`), for the data buffers
 * created while the meter runs, sampled at every buffer the engine creates or frees. Each data buffer counts
 * once: tf.memory().numBytes and tf.profile's peakBytes count every tensor, so reshapes and other views of
 * one buffer would count again. What a backend adds on top (webgpu's pool of freed buffers, alignment) is
 * not in it.
 */
export class BufferMeter {
  now = 0;
  peak = 0;
  /** With `recordPeak`: sizes (bytes) of the buffers alive at the peak that were created after resetPeak. */
  peakBuffers: number[] = [];
  private readonly live = new Map<object, number>();
  private before = new Set<object>();
  private readonly recordPeak: boolean;

  /** `recordPeak` keeps what was alive at the peak (costs a copy of the live set per new peak: small shapes only). */
  constructor(recordPeak = false) {
    this.recordPeak = recordPeak;
  }

  private readonly eng = tf.engine() as unknown as EngineInternals;
  private readonly orig = { trackTensor: this.eng.trackTensor, removeDataId: this.eng.removeDataId };

  start(): this {
    const { eng, orig, live } = this;
    const meter = this;
    eng.trackTensor = function (this: unknown, a, backend) {
      const fresh = !eng.state.tensorInfo.has(a.dataId);
      orig.trackTensor.call(this, a, backend);
      const info = eng.state.tensorInfo.get(a.dataId);
      if (fresh && info) {
        live.set(a.dataId, info.bytes);
        meter.now += info.bytes;
        if (meter.now > meter.peak) {
          meter.peak = meter.now;
          if (meter.recordPeak) meter.peakBuffers = [...live].filter(([id]) => !meter.before.has(id)).map(([, b]) => b);
        }
      }
    };
    eng.removeDataId = function (this: unknown, dataId, backend) {
      orig.removeDataId.call(this, dataId, backend);
      const bytes = live.get(dataId);
      if (bytes !== undefined && !eng.state.tensorInfo.has(dataId)) {
        live.delete(dataId);
        meter.now -= bytes;
      }
    };
    return this;
  }

  resetPeak(): void {
    this.peak = this.now;
    this.peakBuffers = [];
    if (this.recordPeak) this.before = new Set(this.live.keys());
  }

  stop(): void {
    this.eng.trackTensor = this.orig.trackTensor;
    this.eng.removeDataId = this.orig.removeDataId;
  }
}

/** The memory model's figure for the bench step (query+value rank 8, regression head, LoRA dropout 0.05). */
function modelPeak(config: RobertaConfig, batch: number, seqLen: number): number {
  const m = { layers: config.numLayers, hidden: config.hiddenSize, heads: config.numHeads, intermediate: config.intermediateSize, vocab: config.vocabSize, maxPositions: config.maxPositions, hiddenDropout: config.hiddenDropout, attentionDropout: config.attentionDropout };
  const kernels = hasFused(LAYER_NORM) ? 'fused' : 'composite';
  return estimateStepMemory(m, { batch, seqLen, targets: ['attention.self.query', 'attention.self.value'], rank: 8, loraDropout: 0.05, classes: 0, recompute: false, kernels }).total;
}

// customGrad's scope entry is named after its function: 'forward', or '' once a build is minified.
const NON_DISPATCH = new Set(['Identity', 'Reshape', 'forward', '']);
export function dispatchCount(byName: Record<string, number>): number {
  return Object.entries(byName).reduce((s, [n, c]) => s + (NON_DISPATCH.has(n) || n.endsWith('__op') ? 0 : c), 0);
}

/** Kernels of one step (tf.profile). */
export async function kernelsOfStep(step: () => Promise<number>): Promise<{ count: number; byName: Record<string, number> }> {
  const info = await tf.profile(async () => {
    await step();
  });
  const byName: Record<string, number> = {};
  for (const k of info.kernels) byName[k.name] = (byName[k.name] ?? 0) + 1;
  return { count: info.kernels.length, byName };
}

/**
 * One bench case on the active backend: step 1 warms up; step 2 runs under tf.profile with uploads counted
 * and is timed (profiling adds little to a step); each further step (`steps` > 2) is timed too.
 */
export async function benchStep(c: BenchCase, opts: { steps?: number; batch?: number; seqLen?: number } = {}): Promise<BenchResult & { kernelsByName: Record<string, number> }> {
  const batch = opts.batch ?? 10, seqLen = opts.seqLen ?? 64;
  const config = benchConfig(c);
  const meter = new BufferMeter().start();
  let s: BenchSetup | undefined;
  try {
    const run = (s = setupBench(config, randomWeights(config), batch, seqLen));
    await run.step();
    const residentBytes = meter.now;
    meter.resetPeak();
    const times: number[] = [];
    let t0 = performance.now();
    const { result: k, bytes } = await countUploads(() => kernelsOfStep(run.step));
    times.push(performance.now() - t0);
    const peakBytes = meter.peak;
    meter.stop();
    const mem = tf.memory() as tf.MemoryInfo & { numBytesAllocatedInGPU?: number };
    const numTensorsStep2 = mem.numTensors;
    for (let i = 2; i < (opts.steps ?? 2); i++) {
      t0 = performance.now();
      await run.step();
      times.push(performance.now() - t0);
    }
    const ms = times.reduce((a, b) => a + b, 0) / times.length;
    const numTensorsLast = tf.memory().numTensors;
    // Per-layer kernels: difference with a 2-layer model of the same shape (its layer 0 is a full block,
    // the last block computes only the <s> rows).
    const two = { ...config, numLayers: 2 };
    const s2 = setupBench(two, randomWeights(two), 2, 8);
    await s2.step();
    const k2 = await kernelsOfStep(s2.step);
    s2.dispose();
    return {
      case: c, backend: tf.getBackend(), batch, seqLen,
      tokensPerSec: Math.round(((batch * seqLen * 1000) / ms) * 10) / 10,
      msPerStep: Math.round(ms * 10) / 10,
      kernelsPerStep: k.count,
      dispatchKernels: dispatchCount(k.byName),
      kernelsPerLayer: Math.round((k.count - k2.count) / (config.numLayers - 2)),
      dispatchKernelsPerLayer: Math.round((dispatchCount(k.byName) - dispatchCount(k2.byName)) / (config.numLayers - 2)),
      uploadBytesPerStep: bytes,
      numTensorsStep2,
      numTensorsLast,
      peakBytes,
      residentBytes,
      ...(tf.getBackend() !== 'wasm' ? { modelPeakBytes: modelPeak(config, batch, seqLen) } : {}),
      ...(mem.numBytesAllocatedInGPU !== undefined ? { gpuBytesAllocated: mem.numBytesAllocatedInGPU } : {}),
      steps: Math.max(2, opts.steps ?? 2),
      kernelsByName: k.byName,
    };
  } finally {
    meter.stop();
    s?.dispose();
  }
}
