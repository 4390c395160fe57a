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
 * - trainWithPruning: AdaLoRA / SalientLoRA, a trial whose step hooks feed the pruning controller
 *   (pruningRun.ts).
 * Every hook disposes what it creates: tf.memory().numTensors is the same before and after.
 */
import * as tf from '@tensorflow/tfjs';
import { matMulAdd } from '../model/ops';
import { RootRng } from '../util/rng';
import type { RobertaModel, AdapterProvider, LinearAdapter } from '../model/roberta';
import type { TargetModule } from '../model/adapter';
import type { AdapterSnapshot } from '../model/adapter';
import { loraKey } from '../model/lora';
import { loraScale } from '../model/shape';
import type {
  PerturbationRequest,
  ProbeRequest,
  ProbeResult,
  PruningRequest,
  PruningResult,
  TrainingHooks,
} from '../search/hooks';
import { lowRankSingularValues } from './linalg';
import { runPruning } from './pruningRun';
import { makeBatch, type Row } from '../train/step';
import { runTrial, type TrialData, type TrialSettings } from '../train/trainer';

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
    const scale = loraScale(alpha, r, adapter.rslora);
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
    const root = new RootRng(seed).fork(`adarank:layer${layer}`);
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
    return runPruning(model, data, settingsFor(req.initialRank, req.epochs, req.seed), req, signal);
  }

  return { trainProbe, perturbationDistance, trainWithPruning };
}
