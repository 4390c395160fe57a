/**
 * Statistics of the engine's seeded dropout (the device pool the trainer uses; the PyTorch reference check
 * replays the reference's masks instead, so it cannot see these): at every kind of site — hidden states,
 * attention probabilities, LoRA inputs, the classification head — the kept fraction is 1 − p within 5σ of a
 * binomial, dropped values are exactly 0 and kept values are scaled by exactly 1/(1 − p).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { DropoutPool, type DropoutSource } from './dropout';
import { parseRobertaConfig } from './config';
import { buildModel } from './roberta';
import { createLora } from './lora';
import { createHeads } from './heads';
import { TINY_CONFIG } from './randomInit';
import { TARGET_MODULES } from './adapter';
import { padBatch } from './tokenizer';
import { Rng } from '../util/rng';
import { tinyWeights } from '../../../tests/engineFixtures';

interface Site { rate: number; x: Float32Array; y: Float32Array }

/** Passes through to the pool and records what every dropout site received and returned. */
class Spy implements DropoutSource {
  constructor(private readonly inner: DropoutSource, readonly log: Site[]) {}
  apply<T extends tf.Tensor>(x: T, rate: number): T {
    const y = this.inner.apply(x, rate);
    if (rate > 0) this.log.push({ rate, x: x.dataSync() as Float32Array, y: y.dataSync() as Float32Array });
    return y;
  }
  nextSeed(): number {
    return this.inner.nextSeed();
  }
  withSeed(seed: number): DropoutSource {
    return new Spy(this.inner.withSeed(seed), this.log);
  }
}

/** Kept fraction, z-score against Binomial(n, 1 − p), worst relative error of the kept values' scale. */
function stats(sites: Site[], p: number): { n: number; kept: number; z: number; scaleErr: number; droppedNonZero: number } {
  let n = 0, kept = 0, scaleErr = 0, droppedNonZero = 0;
  const want = 1 / (1 - p);
  for (const { x, y } of sites)
    for (let i = 0; i < x.length; i++) {
      if (x[i] === 0) continue;
      n++;
      if (y[i] === 0) continue;
      kept++;
      const r = y[i] / x[i];
      if (!Number.isFinite(r)) droppedNonZero++;
      scaleErr = Math.max(scaleErr, Math.abs(r - want) / want);
    }
  const z = (kept - n * (1 - p)) / Math.sqrt(n * p * (1 - p));
  return { n, kept, z, scaleErr, droppedNonZero };
}

describe('seeded dropout pool', () => {
  it('keeps 1 − p of the values and scales them by 1/(1 − p), across pool pieces', async () => {
    await tf.setBackend('cpu');
    const pool = new DropoutPool(7, new Rng(3));
    try {
      for (const p of [0.1, 0.25, 0.5]) {
        const log: Site[] = [];
        const spy = new Spy(pool, log);
        // 600 000 values span two pool pieces (2^19 each); a second call draws a different window.
        tf.tidy(() => {
          spy.apply(tf.fill([600_000], 1.5), p);
          spy.apply(tf.fill([1000, 37], -0.75), p);
        });
        const s = stats(log, p);
        expect(Math.abs(s.z), `keep rate at p=${p}: ${s.kept}/${s.n}`).toBeLessThan(5);
        expect(s.scaleErr, `scale at p=${p}`).toBeLessThan(1e-6);
        let same = 0;
        for (let i = 0; i < 37_000; i++) if ((log[0].y[i] === 0) === (log[1].y[i] === 0)) same++;
        expect(same, 'two sites do not share one mask').toBeLessThan(37_000 * 0.99);
      }
    } finally {
      pool.dispose();
    }
  });

  it('in a training forward: hidden, attention, LoRA and head dropout each keep 1 − p and rescale by 1/(1 − p)', async () => {
    await tf.setBackend('cpu');
    const rates = { hidden: 0.1, attention: 0.25, lora: 0.3, heads: 0.2 };
    const config = parseRobertaConfig({ ...TINY_CONFIG, hidden_dropout_prob: rates.hidden, attention_probs_dropout_prob: rates.attention });
    const model = buildModel(config, tinyWeights().tensors);
    const L = config.numLayers;
    const lora = createLora(model, { targets: [...TARGET_MODULES], ranks: new Array(L).fill(2), alphas: 4, rslora: false, dropout: rates.lora }, new Rng(1));
    const heads = createHeads(config.hiddenSize, { regression: true, numClasses: 3, dropout: rates.heads }, new Rng(2));
    const pool = new DropoutPool(11, new Rng(5));
    const log: Site[] = [];
    const rng = new Rng(9);
    const rows = Array.from({ length: 6 }, () => [0, ...Array.from({ length: 30 }, () => 3 + rng.int(50000)), 2]);
    const input = model.prepareInput(padBatch(rows, config.padId));
    try {
      lora.setTraining(true);
      const spy = new Spy(pool, log);
      tf.tidy(() => {
        const h = model.forward(input, { training: true, dropout: spy, adapter: lora });
        heads.forward(h, true, spy);
      });
      const byRate = (p: number) => log.filter((s) => s.rate === p);
      // Sites: embeddings + 2 per layer; 1 attention per layer; 6 LoRA inputs per layer; 2 in the head.
      expect(byRate(rates.hidden).length).toBe(1 + 2 * L);
      expect(byRate(rates.attention).length).toBe(L);
      expect(byRate(rates.lora).length).toBe(TARGET_MODULES.length * L);
      expect(byRate(rates.heads).length).toBe(2);
      for (const [kind, p] of Object.entries(rates)) {
        const s = stats(byRate(p), p);
        console.log(`dropout ${kind} p=${p}: kept ${s.kept}/${s.n} (z ${s.z.toFixed(2)}), scale error ${s.scaleErr.toExponential(1)}`);
        expect(s.n, kind).toBeGreaterThan(1000);
        expect(Math.abs(s.z), `${kind} keep rate`).toBeLessThan(5);
        expect(s.scaleErr, `${kind} scale 1/(1 − p)`).toBeLessThan(1e-6);
      }
    } finally {
      input.dispose();
      pool.dispose();
      lora.dispose();
      heads.dispose();
      model.dispose();
    }
  });
});
