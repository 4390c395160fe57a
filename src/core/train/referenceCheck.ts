/**
 * Compare the engine with the PyTorch reference fixture (scripts/torch_reference.py): `<s>` features,
 * head outputs, losses, gradients of every LoRA and head tensor, and parameters after 5 AdamW steps with
 * warm-up + cosine and clipping. Runs on whatever tfjs backend is active (Vitest: cpu; e2e: webgpu).
 * No Node imports: the caller supplies the fixture JSON and the parsed model tensors.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from '../model/safetensors';
import { parseRobertaConfig } from '../model/config';
import { buildModel } from '../model/roberta';
import { createLora } from '../model/lora';
import { createHeads } from '../model/heads';
import type { TargetModule } from '../model/adapter';
import { Rng } from '../util/rng';
import { disposeLossResult, lossAndGrads, makeBatch, trainables, type TrainContext } from './step';
import { AdamW, clipByGlobalNorm } from './optimizer';
import { cosineWithWarmup } from './schedule';

export interface ReferenceFixture {
  rows: number[][];
  scores: number[];
  labels: number[];
  numClasses: number;
  lora: { targets: string[]; ranks: number[]; alphas: number[]; rslora: boolean; dropout: number };
  taskWeights: [number, number];
  optimizer: { lr: number; betas: [number, number]; eps: number; weightDecay: number; warmupSteps: number; totalSteps: number; maxGradNorm: number };
  initLora: Record<string, { A: NamedTensor | { shape: number[]; data: number[] }; B: NamedTensor | { shape: number[]; data: number[] } }>;
  initHeads: Record<string, { shape: number[]; data: number[] }>;
  features: number[];
  score: number[];
  logits: number[];
  regLoss: number;
  clsLoss: number;
  loss: number;
  grads: Record<string, number[]>;
  stepLosses: number[];
  paramsAfter: Record<string, number[]>;
}

export interface ReferenceCheckResult {
  /** Per quantity (worst tensor): max_i |ours − ref| / (|ref| + max|ref|), see compareArrays. */
  maxRelErr: Record<string, number>;
  /** Per quantity: max_i |ours − ref|. */
  maxAbsErr: Record<string, number>;
  worst: { quantity: string; relErr: number };
  pass: boolean;
  tolerance: number;
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

const toNamed = (e: { shape: number[]; data: ArrayLike<number> }): NamedTensor => ({ shape: e.shape, data: Float32Array.from(e.data) });

export async function runReferenceCheck(fixture: ReferenceFixture, configJson: unknown, tensors: Map<string, NamedTensor>, tolerance = 1e-4): Promise<ReferenceCheckResult> {
  const config = parseRobertaConfig(configJson);
  const model = buildModel(config, tensors);
  const fx = fixture;
  const lora = createLora(model, { targets: fx.lora.targets as TargetModule[], ranks: fx.lora.ranks, alphas: fx.lora.alphas, rslora: fx.lora.rslora, dropout: fx.lora.dropout }, new Rng(1));
  const heads = createHeads(config.hiddenSize, { regression: true, numClasses: fx.numClasses, dropout: 0 }, new Rng(2));
  const maxRelErr: Record<string, number> = {};
  const maxAbsErr: Record<string, number> = {};
  const record = (q: string, ours: ArrayLike<number>, ref: ArrayLike<number>) => {
    const { rel, abs } = compareArrays(ours, ref);
    maxRelErr[q] = Math.max(maxRelErr[q] ?? 0, rel);
    maxAbsErr[q] = Math.max(maxAbsErr[q] ?? 0, abs);
  };
  try {
    const initL: Record<string, { A: NamedTensor; B: NamedTensor }> = {};
    for (const [k, v] of Object.entries(fx.initLora)) initL[k] = { A: toNamed(v.A), B: toNamed(v.B) };
    lora.load(initL);
    const initH: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(fx.initHeads)) initH[k] = toNamed(v);
    heads.load(initH);
    const ctx: TrainContext = {
      model,
      lora,
      heads,
      loss: { regWeight: fx.taskWeights[0], clsWeight: fx.taskWeights[1], adaptive: false, smoothing: 0.9, minorityLambda: 0 },
    };
    const rows = fx.rows.map((ids, i) => ({ ids, score: fx.scores[i], label: fx.labels[i] }));
    const batch = makeBatch(model, rows, { regression: true, numClasses: fx.numClasses });
    try {
      // Forward quantities.
      const outs = tf.tidy(() => {
        const h = model.forward(batch.input, { training: false, adapter: lora });
        const ho = heads.forward(h, false);
        return [h, ho.score!, ho.logits!];
      });
      const [h, s, lg] = await Promise.all(outs.map((t) => t.data()));
      outs.forEach((t) => t.dispose());
      record('features', h, fx.features);
      record('score', s, fx.score);
      record('logits', lg, fx.logits);

      // Losses and gradients.
      const named = trainables(ctx);
      const r = lossAndGrads(ctx, batch, false);
      record('regLoss', [(await r.regLoss!.data())[0]], [fx.regLoss]);
      record('clsLoss', [(await r.clsLoss!.data())[0]], [fx.clsLoss]);
      record('loss', [(await r.loss.data())[0]], [fx.loss]);
      for (let i = 0; i < named.length; i++) {
        const ref = fx.grads[named[i][0]];
        if (!ref) throw new Error(`Reference fixture has no gradient for ${named[i][0]}.`);
        record(named[i][0].startsWith('lora.') ? 'grad.lora' : 'grad.heads', await r.grads[i].data(), ref);
      }
      disposeLossResult(r);

      // Five AdamW steps with warm-up + cosine and clipping (dropout off, as in the reference).
      const o = fx.optimizer;
      const opt = new AdamW(named, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay });
      const losses: number[] = [];
      for (let step = 0; step < o.totalSteps; step++) {
        const rr = lossAndGrads(ctx, batch, false);
        losses.push((await rr.loss.data())[0]);
        const { grads, norm } = clipByGlobalNorm(rr.grads, o.maxGradNorm);
        opt.apply(grads, o.lr * cosineWithWarmup(step, o.warmupSteps, o.totalSteps));
        grads.forEach((g) => g.dispose());
        norm.dispose();
        disposeLossResult(rr);
      }
      opt.dispose();
      record('stepLosses', losses, fx.stepLosses);
      for (const [name, v] of named) record(name.startsWith('lora.') ? 'after.lora' : 'after.heads', await v.data(), fx.paramsAfter[name]);
    } finally {
      batch.dispose();
    }
  } finally {
    lora.dispose();
    heads.dispose();
    model.dispose();
  }
  let worst = { quantity: '', relErr: 0 };
  for (const [q, e] of Object.entries(maxRelErr)) if (!(e <= worst.relErr)) worst = { quantity: q, relErr: e };
  return { maxRelErr, maxAbsErr, worst, pass: worst.relErr <= tolerance, tolerance };
}
