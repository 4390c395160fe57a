import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { tinyModel } from '../../../tests/engineFixtures';
import { runTrial, predict, evaluateRows, contextFromSnapshot, createTrainContext, disposeTrainContext, type TrialCheckpoint, type TrialData, type TrialSettings } from './trainer';
import { makeBatch, trainStep } from './step';
import { AdamW } from './optimizer';
import { DropoutPool } from '../model/dropout';
import { trainables } from './step';

/** Synthetic rows: random ids of varied length (dynamic padding) with a score that depends on the ids. */
function synthRows(n: number, seed: number) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 4 + rng.int(10);
    const ids = [0, ...Array.from({ length: len - 2 }, () => 3 + rng.int(2000)), 2];
    const score = Math.tanh((ids.slice(1, -1).reduce((a, b) => a + (b % 7), 0) / ids.length - 3) / 2);
    return { ids, score };
  });
}

const settings = (over: Partial<TrialSettings> = {}): TrialSettings => ({
  seed: 7,
  epochs: 2,
  batchSize: 4,
  lr: 5e-3,
  weightDecay: 0.01,
  warmupRatio: 0.1,
  clipNorm: 1,
  lora: { targets: ['attention.self.query', 'attention.self.value'], ranks: [4, 0, 8, 2], alphas: 16, rslora: false, dropout: 0.1 },
  lossMode: 'constant',
  regWeight: 0.75,
  clsWeight: 0.25,
  ...over,
});

const data = (): TrialData => ({ train: synthRows(22, 1), val: synthRows(8, 2), numClasses: 5, derivedClasses: true });

describe('tensor hygiene', () => {
  it('keeps tf.memory().numTensors equal after steps 2, 10 and 20 (dropout, adaptive loss, dynamic padding)', async () => {
    await tf.setBackend('cpu');
    const base = tf.memory().numTensors;
    const model = await tinyModel();
    const d = data();
    const s = settings({ lossMode: 'adaptive' });
    const ctx = createTrainContext(model, d, s, new Rng(1), new DropoutPool(5, new Rng(2)));
    const opt = new AdamW(trainables(ctx), { lr: 1e-3 });
    const counts: Record<number, number> = {};
    let ema: [number, number] | null = null;
    for (let step = 1; step <= 20; step++) {
      const rows = d.train.slice((step * 4) % 18, ((step * 4) % 18) + 4).map((r) => ({ ...r, label: 2 }));
      const batch = makeBatch(model, rows, { regression: true, numClasses: 5 });
      const r = trainStep(ctx, opt, batch, 1e-3, 1, ema);
      batch.dispose();
      const e = await r.ema!.data();
      ema = [e[0], e[1]];
      [r.loss, r.regLoss, r.clsLoss, r.weights, r.ema, r.gradNorm].forEach((t) => t?.dispose());
      counts[step] = tf.memory().numTensors;
    }
    expect(counts[10]).toBe(counts[2]);
    expect(counts[20]).toBe(counts[2]);
    opt.dispose();
    disposeTrainContext(ctx);
    model.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('runTrial', () => {
  it('trains, reports progress and metrics, is deterministic per seed and leaks no tensors', async () => {
    const model = await tinyModel();
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const epochs: number[] = [];
    const a = await runTrial(model, data(), settings(), { onStep: (p) => steps.push(p.loss), onEpoch: (e) => epochs.push(e.epoch) });
    expect(tf.memory().numTensors).toBe(before);
    expect(a.status).toBe('completed');
    expect(steps.length).toBe(12); // ceil(22/4) × 2
    expect(epochs).toEqual([1, 2]);
    expect(a.final!.mse).toBeGreaterThanOrEqual(0);
    expect(a.final!.accuracy).toBeGreaterThanOrEqual(0);
    // LoRA: Σ r_i · Σ_targets (out + in) = (4+8+2) · 2 · 256
    expect(a.loraParams).toBe(14 * 512);
    expect(a.trainableParams).toBe(14 * 512 + (128 * 128 + 128 + 128 + 1) + (128 * 128 + 128 + 128 * 5 + 5));
    expect(a.adapter!.ranks).toEqual([4, 0, 8, 2]);
    expect(Object.keys(a.adapter!.lora).sort()).toEqual(['0.attention.self.query', '0.attention.self.value', '2.attention.self.query', '2.attention.self.value', '3.attention.self.query', '3.attention.self.value']);
    const b = await runTrial(model, data(), settings());
    expect(b.epochs.map((e) => e.val.mse)).toEqual(a.epochs.map((e) => e.val.mse));
    const c = await runTrial(model, data(), settings({ seed: 8 }));
    expect(c.epochs[1].val.mse).not.toBe(a.epochs[1].val.mse);
    // predict() from the snapshot reproduces the trial's own validation predictions.
    const p = await predict(model, a.adapter!, data().val.map((r) => r.ids));
    const ctx = contextFromSnapshot(model, a.adapter!);
    const m = await evaluateRows(ctx, data().val, data());
    ctx.lora.dispose();
    ctx.heads.dispose();
    expect(m.mse).toBeCloseTo(a.final!.mse!, 6);
    const mse = p.reduce((s, r, i) => s + (r.score! - data().val[i].score!) ** 2, 0) / p.length;
    expect(mse).toBeCloseTo(a.final!.mse!, 6);
    expect(p[0].probs!.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('resumes from a mid-epoch checkpoint with results identical to an uninterrupted run', async () => {
    const model = await tinyModel();
    const s = settings({ lossMode: 'adaptive', epochs: 2 });
    const cps: TrialCheckpoint[] = [];
    const full = await runTrial(model, data(), s, { checkpointEvery: 8, onCheckpoint: (c) => void cps.push(structuredClone(c)) });
    expect(cps.length).toBe(1);
    expect(cps[0].step).toBe(8);
    expect(cps[0].epoch).toBe(1); // second epoch, mid-way
    const losses: number[] = [];
    const resumed = await runTrial(model, data(), s, { resume: cps[0], onStep: (p) => losses.push(p.step) });
    expect(losses[0]).toBe(9);
    expect(resumed.status).toBe('completed');
    expect(resumed.epochs).toHaveLength(2);
    expect(resumed.epochs.map((e) => e.val)).toEqual(full.epochs.map((e) => e.val));
    expect(resumed.epochs[1].trainLoss).toBe(full.epochs[1].trainLoss);
    for (const [k, v] of Object.entries(full.adapter!.lora)) {
      expect(Array.from(resumed.adapter!.lora[k].A.data)).toEqual(Array.from(v.A.data));
      expect(Array.from(resumed.adapter!.lora[k].B.data)).toEqual(Array.from(v.B.data));
    }
    for (const [k, v] of Object.entries(full.adapter!.heads)) expect(Array.from(resumed.adapter!.heads[k].data)).toEqual(Array.from(v.data));
    model.dispose();
  });

  it('fails with a reason on NaN loss and on a lost device; cancels on abort', async () => {
    const model = await tinyModel();
    const before = tf.memory().numTensors;
    const nan = await runTrial(model, data(), settings({ lr: 1e30, clipNorm: Infinity, warmupRatio: 0 }));
    expect(nan.status).toBe('failed');
    expect(nan.reason).toMatch(/loss became (NaN|Infinity|-Infinity)/);
    const lost = await runTrial(model, data(), settings(), { deviceLost: Promise.resolve({ message: 'destroyed' }) });
    expect(lost.status).toBe('failed');
    expect(lost.reason).toMatch(/GPU device was lost/);
    expect(lost.fault).toBe('device-lost');
    // A destroyed device surfaces as a failed read-back first: that is device loss too, not a bad configuration.
    const unmapped = await runTrial(model, data(), settings(), {
      onStep: (p) => {
        if (p.step === 2) throw new DOMException('Buffer was unmapped before mapping was resolved.', 'AbortError');
      },
    });
    expect(unmapped.fault).toBe('device-lost');
    expect(unmapped.reason).toMatch(/GPU device was lost.*Resume re-creates/);
    expect(nan.fault).toBeUndefined();
    const thrown = await runTrial(model, data(), settings(), {
      onStep: (p) => {
        if (p.step === 3) throw new Error('GPUDevice was lost: unknown');
      },
    });
    expect(thrown.status).toBe('failed');
    expect(thrown.reason).toMatch(/GPU device was lost/);
    expect(thrown.fault).toBe('device-lost');
    const ac = new AbortController();
    const cancelled = await runTrial(model, data(), settings(), { signal: ac.signal, onStep: (p) => p.step === 2 && ac.abort() });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
