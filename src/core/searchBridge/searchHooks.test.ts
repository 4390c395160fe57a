import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { tinyModel, tinyTokenizer, semevalRows } from '../../../tests/engineFixtures';
import type { RobertaModel } from '../model/roberta';
import { createLora } from '../model/lora';
import { Rng } from '../util/rng';
import { collectSearch, costOf, PruningController, uniformCost, type PruningObservation, type SearchEvent, type StrategyName } from '../search';
import { makeBatch } from '../train/step';
import { runTrial, type TrialData, type TrialSettings } from '../train/trainer';
import { createTrainingHooks, updateSingularValues } from './searchHooks';
import { MaskedLoraAdapter } from './maskedLora';
import { spaceForModel, TrainingObjective } from './trainingObjective';

let model: RobertaModel;
let data: TrialData;

const base = (over: Partial<TrialSettings> = {}): TrialSettings => ({
  seed: 5,
  epochs: 1,
  batchSize: 4,
  lr: 5e-3,
  weightDecay: 0.01,
  warmupRatio: 0.1,
  clipNorm: 1,
  lora: { targets: ['attention.self.query', 'attention.self.value'], ranks: [0, 0, 0, 0], alphas: 8, rslora: false, dropout: 0.05 },
  lossMode: 'constant',
  regWeight: 0.75,
  clsWeight: 0.25,
  ...over,
});

beforeAll(async () => {
  model = await tinyModel();
  const tok = tinyTokenizer();
  const rows = semevalRows(84).map((r) => ({ ids: tok.encode(r.text, 40), score: r.score }));
  data = { train: rows.slice(0, 64), val: rows.slice(64), numClasses: 5, derivedClasses: true };
});

/** Dense ‖s·B·A‖²_F of one adapter matrix pair. */
function denseFrobenius2(A: ArrayLike<number>, B: ArrayLike<number>, out: number, r: number, inF: number, s: number): number {
  let total = 0;
  for (let i = 0; i < out; i++) for (let j = 0; j < inF; j++) {
    let v = 0;
    for (let k = 0; k < r; k++) v += B[i * r + k] * A[k * inF + j];
    total += (s * v) ** 2;
  }
  return total;
}

describe('trainProbe (SVD importance)', () => {
  it('reports r singular values per target and layer, matching ‖sBA‖²_F, deterministic, no leaked tensors', async () => {
    const hooks = createTrainingHooks({ model, data, base: base() });
    const before = tf.memory().numTensors;
    const a = await hooks.trainProbe({ rank: 4, epochs: 1, seed: 9 });
    expect(tf.memory().numTensors).toBe(before);
    expect(a.singularValues.length).toBe(4);
    for (const row of a.singularValues) {
      expect(row.length).toBe(8); // 2 targets × rank 4
      for (const v of row) expect(Number.isFinite(v) && v >= 0).toBe(true);
      expect(Math.max(...row)).toBeGreaterThan(0); // B moved away from zero
    }
    const b = await hooks.trainProbe({ rank: 4, epochs: 1, seed: 9 });
    expect(b).toEqual(a);
    await expect(hooks.trainProbe({ rank: 0, epochs: 1, seed: 1 })).rejects.toThrow(/rank must be a whole number ≥ 1/);
  });

  it('updateSingularValues agrees with the dense update of a trained adapter (rank-0 layers give none)', async () => {
    const s = base({ lora: { ...base().lora, ranks: [3, 0, 6, 2], alphas: [4, 4, 12, 2], rslora: true } });
    const res = await runTrial(model, data, s);
    expect(res.status).toBe('completed');
    const sv = updateSingularValues(res.adapter!, 4);
    expect(sv[1]).toEqual([]);
    for (const layer of [0, 2, 3]) {
      const r = s.lora.ranks[layer];
      const scale = (s.lora.alphas as number[])[layer] / Math.sqrt(r);
      let dense = 0;
      for (const t of s.lora.targets) {
        const w = res.adapter!.lora[`${layer}.${t}`];
        dense += denseFrobenius2(w.A.data, w.B.data, w.B.shape[0], r, w.A.shape[1], scale);
      }
      expect(sv[layer].length).toBe(2 * r);
      const sum = sv[layer].reduce((acc, v) => acc + v * v, 0);
      expect(Math.abs(sum - dense)).toBeLessThan(1e-5 * dense + 1e-12);
    }
  });
});

describe('perturbationDistance (AdaRank)', () => {
  it('is 0 without noise, grows with it, is deterministic per seed, leaves W untouched and leaks nothing', async () => {
    const hooks = createTrainingHooks({ model, data, base: base() });
    const W = model.layers[1].linears['attention.self.query'].W;
    const w0 = W.dataSync().slice();
    const before = tf.memory().numTensors;
    expect(await hooks.perturbationDistance({ layer: 1, noiseStd: 0, seed: 3 })).toBe(0);
    const d1 = await hooks.perturbationDistance({ layer: 1, noiseStd: 0.01, seed: 3 });
    const d1again = await hooks.perturbationDistance({ layer: 1, noiseStd: 0.01, seed: 3 });
    const d1other = await hooks.perturbationDistance({ layer: 1, noiseStd: 0.01, seed: 4 });
    const d10 = await hooks.perturbationDistance({ layer: 1, noiseStd: 0.1, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(d1).toBeGreaterThan(0);
    expect(d1again).toBe(d1);
    expect(d1other).not.toBe(d1);
    expect(d10).toBeGreaterThan(3 * d1); // roughly linear in the noise for small noise
    expect(Array.from(W.dataSync())).toEqual(Array.from(w0));
    // Every layer measurable; probe rows can be given explicitly.
    const few = createTrainingHooks({ model, data, base: base(), probeRows: data.val.slice(0, 3), probeBatchSize: 2 });
    for (let layer = 0; layer < 4; layer++) expect(await few.perturbationDistance({ layer, noiseStd: 0.05, seed: 1 })).toBeGreaterThan(0);
    await expect(hooks.perturbationDistance({ layer: 4, noiseStd: 0.01, seed: 1 })).rejects.toThrow(/layer 4 is outside 0..3/);
    await expect(hooks.perturbationDistance({ layer: 0, noiseStd: -1, seed: 1 })).rejects.toThrow(/noise std/);
  });
});

describe('MaskedLoraAdapter', () => {
  it('all-kept equals plain LoRA, all-pruned equals no adapter, leaks nothing', () => {
    const settings = { ...base().lora, ranks: [2, 2, 2, 2] };
    const plain = createLora(model, settings, new Rng(1));
    const masked = MaskedLoraAdapter.wrap(createLora(model, settings, new Rng(1)));
    // Give B non-zero values so the adapters matter.
    const fill = (l: typeof plain) => {
      const r = new Rng(2);
      for (const e of l.entries.values()) e.B.assign(tf.tidy(() => tf.tensor(Array.from({ length: e.B.size }, () => r.normal(0, 0.5)), e.B.shape)));
    };
    fill(plain);
    fill(masked);
    const before = tf.memory().numTensors;
    const batch = makeBatch(model, data.val.slice(0, 3), { regression: false, numClasses: 0 });
    plain.setTraining(false);
    masked.setTraining(false);
    const run = (adapter?: typeof plain) => {
      const h = tf.tidy(() => model.forward(batch.input, { training: false, adapter }));
      const out = h.arraySync() as number[][];
      h.dispose();
      return out;
    };
    const hp = run(plain);
    const hm = run(masked);
    const hn = run();
    hm.flat().forEach((v, i) => expect(v).toBeCloseTo(hp.flat()[i], 5));
    expect(Math.max(...hp.flat().map((v, i) => Math.abs(v - hn.flat()[i])))).toBeGreaterThan(1e-3);
    for (let layer = 0; layer < 4; layer++) for (const t of settings.targets) masked.setMask(layer, t, [false, false]);
    run(masked).flat().forEach((v, i) => expect(v).toBeCloseTo(hn.flat()[i], 5));
    expect(masked.mask(0, 'attention.self.query')).toEqual([false, false]);
    expect(() => masked.setMask(0, 'attention.self.query', [true])).toThrow(/has 1 entries, the adapter has rank 2/);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
    plain.dispose();
    masked.dispose();
  });
});

describe('trainWithPruning (AdaLoRA / SalientLoRA)', () => {
  for (const method of ['adalora', 'salientlora'] as const) {
    it(`${method}: prunes to the target total with well-formed observations, no leaked tensors`, async () => {
      const hooks = createTrainingHooks({ model, data, base: base({ lossMode: method === 'adalora' ? 'adaptive' : 'constant' }) });
      const units = 4 * 2;
      const R = 4;
      const observations: PruningObservation[] = [];
      let total = 0;
      const before = tf.memory().numTensors;
      const res = await hooks.trainWithPruning({
        initialRank: R,
        epochs: 1,
        seed: 2,
        createController: (totalSteps) => {
          total = totalSteps;
          const c = new PruningController({ method, numUnits: units, initialRank: R, targetTotal: 12, totalSteps });
          const step = c.step.bind(c);
          c.step = (s, obs) => {
            observations.push(obs);
            return step(s, obs);
          };
          return c;
        },
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(total).toBe(16); // 64 rows / batch 4
      expect(observations.length).toBe(16);
      for (const o of observations) {
        expect(o.sensitivity!.length).toBe(units);
        expect(o.singularValues!.length).toBe(units);
        for (const row of [...o.sensitivity!, ...o.singularValues!]) {
          expect(row.length).toBe(R);
          for (const v of row) expect(Number.isFinite(v) && v >= 0).toBe(true);
        }
        expect(Number.isFinite(o.loss)).toBe(true);
      }
      // After the first updates B ≠ 0: components have non-zero sensitivity and magnitude.
      expect(Math.max(...observations[3].sensitivity!.flat())).toBeGreaterThan(0);
      expect(Math.max(...observations[3].singularValues!.flat())).toBeGreaterThan(0);
      // Pruned components report magnitude 0 once masked.
      const last = observations[observations.length - 1].singularValues!;
      expect(last.flat().filter((v) => v > 0).length).toBeLessThanOrEqual(12);
      expect(res.keptPerUnit.length).toBe(units);
      expect(res.keptPerUnit.reduce((a, b) => a + b, 0)).toBe(12);
      for (const k of res.keptPerUnit) expect(k >= 0 && k <= R).toBe(true);
      expect(res.metrics!.mse).toBeGreaterThanOrEqual(0);
      expect(res.metrics!.steps).toBe(16);
    });
  }

  it('is the trial loop itself: pruning nothing gives the plain trial exactly; tensors stay flat from step 2 to 20', async () => {
    // 22 rows in batches of 2: step 20 lies in the second epoch, after the first validation.
    const small: TrialData = { ...data, train: data.train.slice(0, 22) };
    const s = base({ lossMode: 'adaptive', epochs: 2, batchSize: 2 });
    const hooks = createTrainingHooks({ model, data: small, base: s });
    const units = 4 * 2;
    const R = 4;
    const counts: Record<number, number> = {};
    const res = await hooks.trainWithPruning({
      initialRank: R,
      epochs: 2,
      seed: 3,
      createController: (totalSteps) => {
        // The budget is every component: nothing is ever pruned.
        const c = new PruningController({ method: 'adalora', numUnits: units, initialRank: R, targetTotal: units * R, totalSteps });
        const step = c.step.bind(c);
        c.step = (i, obs) => {
          counts[i + 1] = tf.memory().numTensors;
          return step(i, obs);
        };
        return c;
      },
    });
    expect(res.keptPerUnit).toEqual(new Array(units).fill(R));
    expect(counts[10]).toBe(counts[2]);
    expect(counts[20]).toBe(counts[2]); // after the first epoch's validation too
    const plain = await runTrial(model, small, { ...s, seed: 3, lora: { ...s.lora, ranks: [R, R, R, R] } });
    expect(res.metrics!.mse).toBe(plain.final!.mse);
    expect(res.metrics!.steps).toBe(plain.steps);
  });

  it('rejects a controller that does not match the model', async () => {
    const hooks = createTrainingHooks({ model, data, base: base() });
    const before = tf.memory().numTensors;
    await expect(
      hooks.trainWithPruning({
        initialRank: 4,
        epochs: 1,
        seed: 1,
        createController: (totalSteps) => new PruningController({ method: 'adalora', numUnits: 5, initialRank: 4, targetTotal: 4, totalSteps }),
      }),
    ).rejects.toThrow(/controller expects 5 matrices of rank 4; the model has 8/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('TrainingObjective', () => {
  it('trains a configuration and reports its validation metrics; bad configurations fail with a reason', async () => {
    const space = spaceForModel(model, base().lora.targets, { groups: 2, allowedRanks: [0, 4, 8] });
    const obj = new TrainingObjective({ model, data, base: base() });
    const before = tf.memory().numTensors;
    const ok = await obj.evaluate({ groups: [8, 4], layers: [8, 8, 4, 4], name: '8@4', key: '8x2,4x2' }, { epochs: 1, maxEpochs: 1 });
    expect(ok.status).toBe('ok');
    expect(ok.metrics!.mse).toBeGreaterThan(0);
    expect(ok.metrics!.f1).toBeGreaterThanOrEqual(0);
    expect((ok.info as { loraParams: number }).loraParams).toBe(costOf(space, [8, 4]));
    const bad = await obj.evaluate({ groups: [8], layers: [8, 8], name: '8', key: '8x2' }, { epochs: 1, maxEpochs: 1 });
    expect(bad).toMatchObject({ status: 'failed' });
    expect((bad as { reason: string }).reason).toMatch(/2 layer ranks, the model has 4 layers/);
    const diverged = await new TrainingObjective({ model, data, base: base({ lr: 1e12, clipNorm: 0 }) }).evaluate(
      { groups: [8, 8], layers: [8, 8, 8, 8], name: '8@8', key: '8x4' },
      { epochs: 1, maxEpochs: 1 },
    );
    expect(diverged.status).toBe('failed');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('hook strategies end to end on the tiny model', () => {
  const strategies: StrategyName[] = ['svd', 'adarank', 'adalora', 'salientlora'];
  for (const strategy of strategies) {
    it(`${strategy}: proposes per-group patterns within budget and trains them`, async () => {
      const b = base();
      const space = spaceForModel(model, b.lora.targets, { groups: 2, allowedRanks: [0, 2, 4, 8, 16] });
      const budget = uniformCost(space, 8);
      const before = tf.memory().numTensors;
      const events: SearchEvent[] = await collectSearch({
        space,
        objective: new TrainingObjective({ model, data, base: b }),
        hooks: createTrainingHooks({ model, data, base: b }),
        strategy,
        seed: 1,
        budget,
        maxEvals: 2,
        maxEpochs: 1,
        options: { noiseStd: 0.05 },
      });
      expect(tf.memory().numTensors).toBe(before);
      const evals = events.flatMap((e) => (e.type === 'eval' ? [e.record] : []));
      const probes = events.filter((e) => e.type === 'probe');
      const done = events[events.length - 1];
      expect(done.type).toBe('done');
      expect(probes.length).toBe(strategy === 'adarank' ? 4 : 1);
      expect(evals.length).toBeGreaterThanOrEqual(1);
      expect(evals.length).toBeLessThanOrEqual(2);
      for (const r of evals) {
        expect(r.status).toBe('ok');
        expect(r.params).toBeLessThanOrEqual(budget);
        expect(r.groups.length).toBe(2);
        for (const g of r.groups) expect(space.allowedRanks).toContain(g);
        expect(r.value).toBeGreaterThan(0);
      }
      if (done.type === 'done') expect(done.best).not.toBeNull();
    });
  }
});
