/**
 * The smoke path: a handful of labelled rows, one fixed full batch, a few optimisation steps of LoRA + the
 * regression head on the `<s>` features. Proves on the user's machine (and in e2e) that the backend trains:
 * the loss on the same batch must fall, and the number of live tensors must not grow between steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { RobertaModel } from '../model/roberta';
import type { TextTokenizer } from '../model/tokenizer';
import { runTrial } from '../train/trainer';

export interface SmokeStep {
  step: number;
  /** Training-mode loss of the step (with dropout). */
  loss: number;
  /** MSE of the same rows after the step, in eval mode (no dropout): the comparable curve. */
  evalMse: number;
  numTensors: number;
  ms: number;
}

export interface SmokeResult {
  backend: string;
  steps: SmokeStep[];
  /** Eval-mode MSE after the first and after the last step. */
  firstLoss: number;
  lastLoss: number;
  trainableParams: number;
  loraParams: number;
  ranks: number[];
  status: string;
  reason?: string;
}

export async function runSmoke(
  model: RobertaModel,
  tokenizer: TextTokenizer,
  rows: { text: string; score: number }[],
  opts: { steps?: number; rank?: number; lr?: number; seed?: number; onStep?: (s: SmokeStep) => void } = {},
): Promise<SmokeResult> {
  const steps = opts.steps ?? 10;
  const rank = opts.rank ?? 4;
  const data = rows.map((r) => ({ ids: tokenizer.encode(r.text, 64), score: r.score }));
  const ranks = Array.from({ length: model.config.numLayers }, () => rank);
  const out: SmokeStep[] = [];
  let t = performance.now();
  let pending = NaN;
  // One epoch = one step: the whole handful is one batch, so successive losses are comparable.
  const res = await runTrial(
    model,
    { train: data, val: data, numClasses: 0, derivedClasses: false },
    {
      seed: opts.seed ?? 7, epochs: steps, batchSize: data.length, lr: opts.lr ?? 1e-3, weightDecay: 0, warmupRatio: 0, clipNorm: 1,
      lora: { targets: ['attention.self.query', 'attention.self.value'], ranks, alphas: 2 * rank, rslora: false, dropout: 0 },
      lossMode: 'constant', regWeight: 1, clsWeight: 0, headDropout: 0,
    },
    {
      onStep: (p) => {
        pending = p.loss;
      },
      // One epoch is one step here, and the trainer evaluates after each epoch on the same rows.
      onEpoch: (e) => {
        const now = performance.now();
        const s = { step: e.epoch, loss: pending, evalMse: e.val.mse ?? NaN, numTensors: tf.memory().numTensors, ms: now - t };
        t = now;
        out.push(s);
        opts.onStep?.(s);
      },
    },
  );
  return {
    backend: tf.getBackend(),
    steps: out,
    firstLoss: out[0]?.evalMse ?? NaN,
    lastLoss: out[out.length - 1]?.evalMse ?? NaN,
    trainableParams: res.trainableParams,
    loraParams: res.loraParams,
    ranks,
    status: res.status,
    reason: res.reason,
  };
}
