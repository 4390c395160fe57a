/**
 * Compare the engine with the PyTorch float64 reference (scripts/torch_reference.py →
 * tests/fixtures/reference/tiny-lora.json), one case at a time, through the production training path:
 * `createTrainContext` (LoRA, heads, loss settings incl. DAO class weights and minority mask), the
 * training-mode forward with dropout, `lossAndGrads`, and `trainStep` (flat AdamW, `clipFlat`) driven by
 * `cosineWithWarmup` exactly as `runTrial` drives it.
 *
 * Dropout: the reference draws every keep-mask (embeddings, attention probabilities, hidden, each LoRA
 * input, classification head) and the fixture carries them as packed bits; `ReplayDropout` hands the
 * engine the same masks in the order it applies dropout, checking rate and size at every site, so both
 * sides train with identical masks. (The seeded device pool the app uses is covered by dropout.test.ts.)
 *
 * Compared: `<s>` features, head outputs, losses, task weights, every LoRA/head gradient (step 0's masks),
 * then per step the losses, task weights, pre-clip gradient norm and learning rate, and after the steps
 * the parameter *changes* (after − before: the parameters themselves would hide errors in the updates).
 * Runs on whatever tfjs backend is active (Vitest: cpu; e2e: webgpu and wasm). No Node imports.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from '../model/safetensors';
import type { DropoutSource } from '../model/dropout';
import { parseRobertaConfig } from '../model/config';
import { buildModel } from '../model/roberta';
import type { TargetModule } from '../model/adapter';
import { Rng } from '../util/rng';
import { disposeLossResult, lossAndGrads, makeBatch, trainables, trainStep } from '../train/step';
import { AdamW } from '../train/optimizer';
import { cosineWithWarmup } from '../train/schedule';
import { classWeightsFromLabels, minorityClasses } from '../train/losses';
import { createTrainContext, disposeTrainContext, type TrialSettings } from '../train/trainer';

/** Float32 values, little-endian, base64 (large arrays of the fixture). */
type B64 = string;

/** One reference case (the fixture file holds several: `ReferenceFile`). */
export interface ReferenceFixture {
  name: string;
  rows: number[][];
  scores: number[];
  labels: number[];
  /** Labels of the training split the class weights and minority classes come from. */
  trainLabels: number[];
  numClasses: number;
  lora: { targets: string[]; ranks: number[]; alphas: number[]; rslora: boolean; dropout: number };
  objective: { mode: 'constant' | 'adaptive'; regWeight: number; clsWeight: number; smoothing: number; minorityLambda: number; classWeights: number[] | null; minorityMask: number[] | null };
  /** Rates, and per step the keep-bits of every dropout site in application order ([rate, size] per site). */
  dropout: { hidden: number; attention: number; heads: number; lora: number; sites: [number, number][]; masks: B64[] };
  optimizer: { lr: number; betas: [number, number]; eps: number; weightDecay: number; warmupSteps: number; totalSteps: number; maxGradNorm: number };
  initLora: Record<string, { A: { shape: number[]; data: B64 }; B: { shape: number[]; data: B64 } }>;
  initHeads: Record<string, { shape: number[]; data: B64 }>;
  features: number[];
  score: number[];
  logits: number[];
  regLoss: number;
  clsLoss: number;
  loss: number;
  taskWeights: [number, number];
  grads: Record<string, B64>;
  stepLosses: number[];
  stepRegLosses: number[];
  stepClsLosses: number[];
  stepTaskWeights: [number, number][];
  stepLrs: number[];
  gradNorms: number[];
  paramChanges: Record<string, B64>;
}

export interface ReferenceFile {
  description: string;
  model: string;
  cases: ReferenceFixture[];
}

/**
 * Tolerance per quantity (max relative error, see compareArrays). fp32 against float64: features, outputs,
 * losses, task weights, gradients and the first gradient norm are observed at 1e-8…2e-6 (cpu, wasm);
 * parameter changes after the Adam steps at ≲1e-5 on cpu and ≲4e-5 on wasm (Adam divides by √v, which
 * amplifies the rounding of small gradient entries), and the later steps' losses and norms inherit that.
 */
export const REFERENCE_TOLERANCES: Record<string, number> = {
  features: 1e-5,
  score: 1e-5,
  logits: 1e-5,
  regLoss: 1e-5,
  clsLoss: 1e-5,
  loss: 1e-5,
  taskWeights: 1e-5,
  'grad.lora': 1e-5,
  'grad.heads': 1e-5,
  gradNorm0: 1e-5,
  // After the first update the trajectories carry the parameter-change error (wasm: up to 2e-5).
  stepLosses: 1e-4,
  stepRegLosses: 1e-4,
  stepClsLosses: 1e-4,
  stepTaskWeights: 1e-4,
  gradNorms: 1e-4,
  stepLrs: 1e-9,
  classWeights: 1e-9,
  minorityMask: 0,
  'change.lora': 1e-4,
  'change.heads': 1e-4,
};

export interface ReferenceCheckResult {
  name: string;
  /** Per quantity (worst tensor): max_i |ours − ref| / (|ref| + max|ref|), see compareArrays. */
  maxRelErr: Record<string, number>;
  /** Per quantity: max_i |ours − ref|. */
  maxAbsErr: Record<string, number>;
  tolerances: Record<string, number>;
  /** Quantities over their tolerance (empty: pass). */
  failed: string[];
  worst: { quantity: string; relErr: number };
  pass: boolean;
}

/**
 * Error of one tensor against the reference: max_i |a_i − b_i| / (|b_i| + max_j |b_j|), i.e. the smallest
 * rtol for which numpy.allclose(a, b, rtol, atol = rtol·max|b|) holds. The absolute floor scales with the
 * tensor so elements near zero (where fp32 rounding and Adam's m/√v amplify noise) are judged against the
 * tensor's magnitude, not their own.
 */
export function compareArrays(ours: ArrayLike<number>, ref: ArrayLike<number>): { rel: number; abs: number } {
  if (ours.length !== ref.length) return { rel: Infinity, abs: Infinity };
  let mx = 0;
  for (let i = 0; i < ref.length; i++) mx = Math.max(mx, Math.abs(ref[i]));
  const floor = mx + 1e-30;
  let rel = 0, abs = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    const r = d / (Math.abs(ref[i]) + floor);
    if (!(r <= rel)) rel = Number.isNaN(r) ? Infinity : Math.max(rel, r);
  }
  return { rel, abs };
}

function bytesOf(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Little-endian float32 values from base64. */
export function f32FromBase64(b64: B64): Float32Array {
  const b = bytesOf(b64);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

/**
 * Dropout with masks given from outside: site k of the step gets the reference's k-th keep-mask, scaled
 * by 1/(1 − rate) like every inverted dropout. Rate and size are checked at each site, so a site the
 * engine skips, adds or applies at another rate fails loudly instead of shifting the masks.
 */
export class ReplayDropout implements DropoutSource {
  private next = 0;
  private readonly offsets: number[];

  constructor(private readonly sites: [number, number][], private readonly bits: Uint8Array) {
    let o = 0;
    this.offsets = sites.map(([, n]) => {
      const at = o;
      o += n;
      return at;
    });
    if (bits.length * 8 < o) throw new Error(`Dropout masks hold ${bits.length * 8} bits, the sites need ${o}.`);
  }

  apply<T extends tf.Tensor>(x: T, rate: number): T {
    if (!(rate > 0)) return x;
    const k = this.next++;
    if (k >= this.sites.length) throw new Error(`Dropout site ${k + 1}: the engine applies more dropout than the reference (${this.sites.length} sites).`);
    const [r, n] = this.sites[k];
    if (r !== rate || n !== x.size) throw new Error(`Dropout site ${k + 1}: the engine applies rate ${rate} to ${x.size} values, the reference rate ${r} to ${n}.`);
    const m = new Float32Array(n);
    const scale = 1 / (1 - rate);
    const o = this.offsets[k];
    for (let i = 0; i < n; i++) {
      const j = o + i;
      m[i] = (this.bits[j >> 3] >> (j & 7)) & 1 ? scale : 0;
    }
    return tf.mul(x, tf.tensor(m, x.shape)) as T;
  }

  nextSeed(): number {
    return 0;
  }

  /** One stream for the whole step: the order of application is what matches the reference. */
  withSeed(): DropoutSource {
    return this;
  }

  /** Throws unless every reference mask was used (the engine skipped a dropout site). */
  expectAllUsed(what: string): void {
    if (this.next !== this.sites.length) throw new Error(`${what}: the engine applied ${this.next} dropout masks, the reference ${this.sites.length}.`);
  }
}

export async function runReferenceCheck(fixture: ReferenceFixture, configJson: unknown, tensors: Map<string, NamedTensor>): Promise<ReferenceCheckResult> {
  const config = parseRobertaConfig(configJson);
  const fx = fixture;
  if (config.hiddenDropout !== fx.dropout.hidden || config.attentionDropout !== fx.dropout.attention)
    throw new Error(`Model dropout (${config.hiddenDropout}, ${config.attentionDropout}) differs from the reference's (${fx.dropout.hidden}, ${fx.dropout.attention}).`);
  const model = buildModel(config, tensors);
  const o = fx.optimizer;
  const K = fx.numClasses;
  const settings: TrialSettings = {
    seed: 1,
    epochs: 1,
    batchSize: fx.rows.length,
    lr: o.lr,
    weightDecay: o.weightDecay,
    warmupRatio: o.warmupSteps / o.totalSteps,
    clipNorm: o.maxGradNorm,
    lora: { targets: fx.lora.targets as TargetModule[], ranks: fx.lora.ranks, alphas: fx.lora.alphas, rslora: fx.lora.rslora, dropout: fx.lora.dropout },
    regression: true,
    lossMode: fx.objective.mode,
    regWeight: fx.objective.regWeight,
    clsWeight: fx.objective.clsWeight,
    smoothing: fx.objective.smoothing,
    minorityLambda: fx.objective.minorityLambda,
    headDropout: fx.dropout.heads,
  };
  const trainRows = fx.trainLabels.map((label) => ({ ids: [0, 2], score: 0, label }));
  const ctx = createTrainContext(model, { train: trainRows, val: [], numClasses: K, derivedClasses: false }, settings, new Rng(1));
  const maxRelErr: Record<string, number> = {};
  const maxAbsErr: Record<string, number> = {};
  const record = (q: string, ours: ArrayLike<number>, ref: ArrayLike<number>) => {
    const { rel, abs } = compareArrays(ours, ref);
    maxRelErr[q] = Math.max(maxRelErr[q] ?? 0, rel);
    maxAbsErr[q] = Math.max(maxAbsErr[q] ?? 0, abs);
  };
  const masks = fx.dropout.masks.map(bytesOf);
  const replay = (step: number) => new ReplayDropout(fx.dropout.sites, masks[step]);
  const read = async (t: tf.Tensor | undefined) => (t ? Array.from(await t.data()) : [NaN]);
  try {
    const init: Record<string, Float32Array> = {};
    const initL: Record<string, { A: NamedTensor; B: NamedTensor }> = {};
    for (const [k, v] of Object.entries(fx.initLora)) {
      initL[k] = { A: { shape: v.A.shape, data: f32FromBase64(v.A.data) }, B: { shape: v.B.shape, data: f32FromBase64(v.B.data) } };
      init[`lora.${k}.A`] = initL[k].A.data as Float32Array;
      init[`lora.${k}.B`] = initL[k].B.data as Float32Array;
    }
    ctx.lora.load(initL);
    const initH: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(fx.initHeads)) {
      initH[k] = { shape: v.shape, data: f32FromBase64(v.data) };
      init[`heads.${k}`] = initH[k].data as Float32Array;
    }
    ctx.heads.load(initH);
    if (fx.objective.mode === 'adaptive') {
      if (!ctx.loss.adaptive) throw new Error('The adaptive case did not get adaptive task weights.');
      record('classWeights', classWeightsFromLabels(fx.trainLabels, K), fx.objective.classWeights!);
      record('minorityMask', minorityClasses(fx.trainLabels, K).map((b) => (b ? 1 : 0)), fx.objective.minorityMask!);
    }
    const named = trainables(ctx);
    for (const [name] of named) if (!fx.grads[name] || !init[name]) throw new Error(`Reference fixture has no tensor ${name}.`);
    if (named.length !== Object.keys(fx.grads).length) throw new Error(`The engine trains ${named.length} tensors, the reference ${Object.keys(fx.grads).length}.`);

    const rows = fx.rows.map((ids, i) => ({ ids, score: fx.scores[i], label: fx.labels[i] }));
    const batch = makeBatch(model, rows, { regression: true, numClasses: K });
    try {
      // Training-mode forward with step 0's masks.
      let d = replay(0);
      ctx.lora.setTraining(true);
      const outs = tf.tidy(() => {
        const h = model.forward(batch.input, { training: true, dropout: d, adapter: ctx.lora });
        return [h, ctx.heads.regression(h), ctx.heads.classification(h, true, d)];
      });
      d.expectAllUsed('Forward');
      const [h, s, lg] = await Promise.all(outs.map((t) => t.data()));
      outs.forEach((t) => t.dispose());
      record('features', h, fx.features);
      record('score', s, fx.score);
      record('logits', lg, fx.logits);

      // Losses, task weights and gradients (same masks).
      ctx.dropout = d = replay(0);
      const r = lossAndGrads(ctx, batch, true, null);
      d.expectAllUsed('Gradients');
      record('regLoss', await read(r.regLoss), [fx.regLoss]);
      record('clsLoss', await read(r.clsLoss), [fx.clsLoss]);
      record('loss', await read(r.loss), [fx.loss]);
      record('taskWeights', await read(r.weights), fx.taskWeights);
      for (let i = 0; i < named.length; i++) record(named[i][0].startsWith('lora.') ? 'grad.lora' : 'grad.heads', await r.grads[i].data(), f32FromBase64(fx.grads[named[i][0]]));
      disposeLossResult(r);

      // The production step, as runTrial drives it: schedule → trainStep (flat AdamW + clipFlat) → EMA.
      const opt = new AdamW(named, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay });
      const got: Record<string, number[]> = { stepLosses: [], stepRegLosses: [], stepClsLosses: [], stepTaskWeights: [], gradNorms: [], stepLrs: [] };
      let ema: [number, number] | null = null;
      try {
        for (let step = 0; step < o.totalSteps; step++) {
          ctx.dropout = d = replay(step);
          const lr = o.lr * cosineWithWarmup(step, o.warmupSteps, o.totalSteps);
          const rr = trainStep(ctx, opt, batch, lr, o.maxGradNorm, ema);
          d.expectAllUsed(`Step ${step + 1}`);
          const [lv, rl, cl, wv, ev, gn] = await Promise.all([read(rr.loss), read(rr.regLoss), read(rr.clsLoss), read(rr.weights), rr.ema ? read(rr.ema) : null, read(rr.gradNorm)]);
          [rr.loss, rr.regLoss, rr.clsLoss, rr.weights, rr.ema, rr.gradNorm].forEach((t) => t?.dispose());
          if (ev) ema = [ev[0], ev[1]];
          got.stepLosses.push(lv[0]);
          got.stepRegLosses.push(rl[0]);
          got.stepClsLosses.push(cl[0]);
          got.stepTaskWeights.push(wv[0], wv[1]);
          got.gradNorms.push(gn[0]);
          got.stepLrs.push(lr);
        }
      } finally {
        opt.dispose();
        ctx.dropout = undefined;
      }
      record('gradNorm0', got.gradNorms.slice(0, 1), fx.gradNorms.slice(0, 1));
      for (const q of ['stepLosses', 'stepRegLosses', 'stepClsLosses', 'gradNorms', 'stepLrs'] as const) record(q, got[q], fx[q]);
      record('stepTaskWeights', got.stepTaskWeights, fx.stepTaskWeights.flat());
      for (const [name, v] of named) {
        const after = await v.data(), before = init[name];
        const change = Float64Array.from(after, (a, i) => a - before[i]);
        record(name.startsWith('lora.') ? 'change.lora' : 'change.heads', change, f32FromBase64(fx.paramChanges[name]));
      }
    } finally {
      batch.dispose();
    }
  } finally {
    disposeTrainContext(ctx);
    model.dispose();
  }
  const failed = Object.keys(maxRelErr).filter((q) => !(maxRelErr[q] <= (REFERENCE_TOLERANCES[q] ?? 0)));
  let worst = { quantity: '', relErr: 0 };
  for (const [q, e] of Object.entries(maxRelErr)) if (!(e <= worst.relErr)) worst = { quantity: q, relErr: e };
  return { name: fx.name, maxRelErr, maxAbsErr, tolerances: REFERENCE_TOLERANCES, failed, worst, pass: failed.length === 0 };
}
