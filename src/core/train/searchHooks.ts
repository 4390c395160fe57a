/**
 * The training engine's side of the search hooks (src/core/search/hooks.ts): the measurements the svd,
 * adarank, adalora and salientlora strategies allocate ranks from.
 *
 * - trainProbe: a short uniform-rank trial (runTrial), then per layer the exact singular values of every
 *   target's update s·B·A (linalg.ts, from r × r Gram matrices only).
 * - perturbationDistance: AdaRank. Two independent Gaussian draws N₁, N₂ (std = noiseStd · std(W) per
 *   target) are added to one layer's frozen target weights through an AdapterProvider (h = W x + b + N x; the
 *   frozen weights are never touched); the probe rows go through both perturbed encoders in eval mode and the
 *   result is the mean over rows of the L1 distance Σ_k |h₁ − h₂| of the final `<s>` hidden states (the
 *   features the heads see).
 * - trainWithPruning: LoRA at the initial rank with per-component keep-masks (MaskedLoraAdapter), trained
 *   with the shared step pieces (makeBatch, lossAndGrads, clipByGlobalNorm, AdamW, cosine schedule). After
 *   each optimiser step the controller gets, per matrix (unit = layer · T + target, targets in
 *   `base.lora.targets` order) and component i:
 *     sensitivity_i = Σ_j |A_ij ∂L/∂A_ij| + Σ_k |B_ki ∂L/∂B_ki| (θ and gradient before the update; AdaLoRA's
 *       |θ·∂L/∂θ| summed over the component's parameters),
 *     singularValues_i = s · m_i · ‖B_{·i}‖ · ‖A_{i·}‖ (after the update): the norm of the component's rank-1
 *       term, which is the singular value AdaLoRA's λ_i stands for (exact when the B columns and A rows are
 *       orthogonal, which AdaLoRA's regulariser pushes towards),
 *     loss: the step's training loss,
 *   and its keep-masks are applied before the next step.
 * Every hook disposes what it creates: tf.memory().numTensors is the same before and after.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulAdd } from '../model/ops';
import { Rng } from '../util/rng';
import { DropoutPool } from '../model/dropout';
import type { RobertaModel, AdapterProvider, LinearAdapter } from '../model/roberta';
import type { TargetModule } from '../model/adapter';
import type { AdapterSnapshot } from '../model/adapter';
import { loraKey } from '../model/lora';
import type {
  PerturbationRequest,
  ProbeRequest,
  ProbeResult,
  PruningRequest,
  PruningResult,
  TrainingHooks,
} from '../search/hooks';
import { lowRankSingularValues } from './linalg';
import { MaskedLoraAdapter } from './maskedLora';
import { deriveClass } from './losses';
import { AdamW, clipByGlobalNorm } from './optimizer';
import { cosineWithWarmup, warmupStepsFromRatio } from './schedule';
import { lossAndGrads, makeBatch, trainables, type Row } from './step';
import { createTrainContext, disposeTrainContext, evaluateRows, runTrial, validateTrial, type TrialData, type TrialSettings } from './trainer';

export interface SearchHooksEnv {
  model: RobertaModel;
  data: TrialData;
  /** Trial settings every hook starts from; ranks, epochs and seed are set per request. */
  base: TrialSettings;
  /** AdaRank probe texts (token ids); default: the first 32 validation rows. */
  probeRows?: Row[];
  /** Rows per forward pass in the AdaRank probe (default base.evalBatchSize ?? 32). */
  probeBatchSize?: number;
}

/** Per layer, the singular values of each target's s·B·A in an adapter snapshot, targets concatenated. */
export function updateSingularValues(adapter: AdapterSnapshot, numLayers: number): number[][] {
  const out: number[][] = Array.from({ length: numLayers }, () => []);
  for (let layer = 0; layer < numLayers; layer++) {
    const r = adapter.ranks[layer] ?? 0;
    if (r === 0) continue;
    const alpha = adapter.alphas[layer];
    const scale = adapter.rslora ? alpha / Math.sqrt(r) : alpha / r;
    for (const t of adapter.targets) {
      const w = adapter.lora[loraKey(layer, t)];
      if (!w) throw new Error(`the trained adapter lacks layer ${layer}, ${t}`);
      const [outF, rb] = w.B.shape;
      const [ra, inF] = w.A.shape;
      if (rb !== r || ra !== r) throw new Error(`adapter ${loraKey(layer, t)} has rank ${ra}/${rb}, expected ${r}`);
      out[layer].push(...lowRankSingularValues(w.B.data, w.A.data, { out: outF, rank: r, in: inF }, scale));
    }
  }
  return out;
}

function withClassLabels(rows: Row[], numClasses: number, split: string): Row[] {
  if (numClasses <= 0) return rows;
  return rows.map((r, i) => {
    if (r.label !== undefined) return r;
    if (numClasses === 5 && r.score !== undefined) return { ...r, label: deriveClass(r.score) };
    throw new Error(`${split} row ${i + 1} has neither a label nor a score to derive one from.`);
  });
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('Cancelled by the user.');
}

/** std of a frozen weight (population std, as torch.std(unbiased=False)). */
async function weightStd(w: tf.Tensor): Promise<number> {
  // await data(), not dataSync(): see LoraAdapter.snapshot.
  const variance = tf.tidy(() => tf.moments(w).variance);
  const v = (await variance.data())[0];
  variance.dispose();
  return Math.sqrt(v);
}

/** Adds N x to one layer's frozen linears (N [out, in], torch layout), leaving W untouched. */
class NoiseAdapter implements AdapterProvider {
  constructor(
    private readonly layer: number,
    private readonly noise: Map<TargetModule, tf.Tensor2D>,
  ) {}

  get(layer: number, target: TargetModule): LinearAdapter | undefined {
    if (layer !== this.layer) return undefined;
    const n = this.noise.get(target);
    if (!n) return undefined;
    return { apply: (x, base) => matMulAdd(x, n, base) };
  }

  layerVariables(): tf.Variable[] {
    return [];
  }
}

export function createTrainingHooks(env: SearchHooksEnv): Required<TrainingHooks> {
  const { model, data, base } = env;
  const numLayers = model.layers.length;
  const targets = [...base.lora.targets];
  const settingsFor = (rank: number, epochs: number, seed: number): TrialSettings => ({
    ...base,
    seed,
    epochs,
    lora: { ...base.lora, targets, ranks: new Array<number>(numLayers).fill(rank) },
  });
  const checkRankRequest = (what: string, rank: number, epochs: number) => {
    if (!Number.isInteger(rank) || rank < 1) throw new Error(`${what}: rank must be a whole number ≥ 1, got ${rank}`);
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${what}: epochs must be a whole number ≥ 1, got ${epochs}`);
  };

  async function trainProbe(req: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> {
    checkRankRequest('SVD probe', req.rank, req.epochs);
    const res = await runTrial(model, data, settingsFor(req.rank, req.epochs, req.seed), { signal });
    if (res.status !== 'completed' || !res.adapter) {
      throw new Error(`SVD probe training (uniform rank ${req.rank}, ${req.epochs} epochs) ${res.status}: ${res.reason ?? 'no adapter'}`);
    }
    return { singularValues: updateSingularValues(res.adapter, numLayers) };
  }

  async function perturbationDistance(req: PerturbationRequest, signal?: AbortSignal): Promise<number> {
    const { layer, noiseStd, seed } = req;
    if (!Number.isInteger(layer) || layer < 0 || layer >= numLayers) throw new Error(`AdaRank: layer ${layer} is outside 0..${numLayers - 1}`);
    if (!(noiseStd >= 0) || !Number.isFinite(noiseStd)) throw new Error(`AdaRank: noise std must be a finite number ≥ 0, got ${noiseStd}`);
    const rows = env.probeRows ?? data.val.slice(0, 32);
    if (rows.length === 0) throw new Error('AdaRank: no probe rows (the validation split is empty)');
    rows.forEach((r, i) => {
      if (!r.ids.length) throw new Error(`AdaRank: probe row ${i + 1} has no tokens`);
    });
    // Per layer its own stream (the strategy passes one seed for all layers); two independent draws.
    const root = new Rng(seed).fork(`adarank:layer${layer}`);
    const draws = [root.fork('draw1'), root.fork('draw2')];
    const adapters: NoiseAdapter[] = [];
    const owned: tf.Tensor[] = [];
    try {
      for (const rng of draws) {
        const noise = new Map<TargetModule, tf.Tensor2D>();
        for (const t of targets) {
          const W = model.layers[layer].linears[t].W;
          const std = noiseStd * (await weightStd(W));
          const [o, i] = W.shape;
          const vals = new Float32Array(o * i);
          for (let k = 0; k < vals.length; k++) vals[k] = rng.normal(0, std);
          const n = tf.tensor2d(vals, [o, i]);
          owned.push(n);
          noise.set(t, n);
        }
        adapters.push(new NoiseAdapter(layer, noise));
      }
      const bs = env.probeBatchSize ?? base.evalBatchSize ?? 32;
      let total = 0;
      for (let i = 0; i < rows.length; i += bs) {
        aborted(signal);
        const batch = makeBatch(model, rows.slice(i, i + bs).map((r) => ({ ids: r.ids })), { regression: false, numClasses: 0 });
        try {
          const s = tf.tidy(() => {
            const h1 = model.forward(batch.input, { training: false, adapter: adapters[0] });
            const h2 = model.forward(batch.input, { training: false, adapter: adapters[1] });
            return tf.sum(tf.abs(tf.sub(h1, h2)));
          });
          total += (await s.data())[0];
          s.dispose();
        } finally {
          batch.dispose();
        }
      }
      return total / rows.length;
    } finally {
      owned.forEach((t) => t.dispose());
    }
  }

  async function trainWithPruning(req: PruningRequest, signal?: AbortSignal): Promise<PruningResult> {
    checkRankRequest('Pruning run', req.initialRank, req.epochs);
    const s = settingsFor(req.initialRank, req.epochs, req.seed);
    validateTrial(data, s);
    const train = withClassLabels(data.train, data.numClasses, 'Training');
    const val = withClassLabels(data.val, data.numClasses, 'Validation');
    // Same RNG streams as runTrial, so the run matches a plain trial until the first mask change.
    const root = new Rng(s.seed);
    const initRng = root.fork('init');
    const shuffleRng = root.fork('shuffle');
    const pool = new DropoutPool(root.fork('dropout-pool').nextUint32(), root.fork('dropout'));
    const ctx = createTrainContext(model, { ...data, train }, s, initRng, pool);
    const lora = MaskedLoraAdapter.wrap(ctx.lora);
    ctx.lora = lora;
    const named = trainables(ctx);
    const gradIndex = new Map(named.map(([n], i) => [n, i]));
    const opt = new AdamW(named, { lr: s.lr, weightDecay: s.weightDecay });
    try {
      const stepsPerEpoch = Math.ceil(train.length / s.batchSize);
      const totalSteps = stepsPerEpoch * s.epochs;
      const warmup = warmupStepsFromRatio(s.warmupRatio, totalSteps);
      const controller = req.createController(totalSteps);
      const T = targets.length;
      const units = numLayers * T;
      const R = req.initialRank;
      if (controller.options.numUnits !== units || controller.options.initialRank !== R) {
        throw new Error(
          `pruning controller expects ${controller.options.numUnits} matrices of rank ${controller.options.initialRank}; the model has ${units} (${numLayers} layers × ${T} targets) of rank ${R}`,
        );
      }
      const unitKeys: { layer: number; target: TargetModule; key: string }[] = [];
      for (let layer = 0; layer < numLayers; layer++) for (const t of targets) unitKeys.push({ layer, target: t, key: loraKey(layer, t) });
      const regression = ctx.heads.settings.regression;
      let ema: [number, number] | null = null;
      let step = 0;
      let lossSum = 0;
      for (let epoch = 0; epoch < s.epochs; epoch++) {
        const order = shuffleRng.shuffle(train.map((_, i) => i));
        for (let b = 0; b < stepsPerEpoch; b++) {
          aborted(signal);
          const rows = order.slice(b * s.batchSize, (b + 1) * s.batchSize).map((i) => train[i]);
          const batch = makeBatch(model, rows, { regression, numClasses: data.numClasses });
          let r: ReturnType<typeof lossAndGrads>;
          try {
            r = lossAndGrads(ctx, batch, true, ema);
          } finally {
            batch.dispose();
          }
          let sens: tf.Tensor2D;
          try {
            // |θ · ∂L/∂θ| summed over each component's A row and B column, before the update.
            sens = tf.tidy(() =>
              tf.stack(
                unitKeys.map(({ key }) => {
                  const e = lora.entries.get(key)!;
                  const gA = r.grads[gradIndex.get(`lora.${key}.A`)!];
                  const gB = r.grads[gradIndex.get(`lora.${key}.B`)!];
                  return tf.add(tf.sum(tf.abs(tf.mul(e.A, gA)), 1), tf.sum(tf.abs(tf.mul(e.B, gB)), 0));
                }),
              ),
            ) as tf.Tensor2D;
            const clipped = clipByGlobalNorm(r.grads, s.clipNorm);
            clipped.norm.dispose();
            const lr = s.lr * cosineWithWarmup(step, warmup, totalSteps);
            opt.apply(clipped.grads, lr);
            clipped.grads.forEach((g) => g.dispose());
          } catch (e) {
            [r.loss, r.regLoss, r.clsLoss, r.weights, r.ema].forEach((t) => t?.dispose());
            throw e;
          } finally {
            r.grads.forEach((g) => g.dispose());
          }
          const sv = tf.tidy(() =>
            tf.stack(
              unitKeys.map(({ layer, target, key }) => {
                const e = lora.entries.get(key)!;
                const nA = tf.sqrt(tf.sum(tf.square(e.A), 1));
                const nB = tf.sqrt(tf.sum(tf.square(e.B), 0));
                return tf.mul(tf.mul(nA, nB), tf.abs(tf.reshape(lora.scaledMask(layer, target), [R])));
              }),
            ),
          );
          const [lv, ev, sensData, svData] = await Promise.all([r.loss.data(), r.ema?.data(), sens.data(), sv.data()]);
          [r.loss, r.regLoss, r.clsLoss, r.weights, r.ema, sens, sv].forEach((t) => t?.dispose());
          const loss = lv[0];
          if (!Number.isFinite(loss)) {
            throw new Error(`Pruning run: the loss became ${loss} at step ${step + 1} (epoch ${epoch + 1}); lower the learning rate or enable gradient clipping.`);
          }
          if (ev) ema = [ev[0], ev[1]];
          lossSum += loss;
          const rowsOf = (d: ArrayLike<number>) => Array.from({ length: units }, (_, u) => Array.from({ length: R }, (_, c) => d[u * R + c]));
          const masks = controller.step(step, { sensitivity: rowsOf(sensData), singularValues: rowsOf(svData), loss });
          unitKeys.forEach(({ layer, target }, u) => lora.setMask(layer, target, masks[u]));
          step++;
        }
      }
      const metrics: Record<string, number> = { steps: step, trainLoss: lossSum / Math.max(1, step) };
      const valMetrics = await evaluateRows(ctx, val, data.numClasses, s.evalBatchSize ?? 32);
      for (const [k, v] of Object.entries(valMetrics)) if (typeof v === 'number') metrics[k] = v;
      return { keptPerUnit: controller.keptPerUnit(), metrics };
    } finally {
      opt.dispose();
      disposeTrainContext(ctx);
    }
  }

  return { trainProbe, perturbationDistance, trainWithPruning };
}
