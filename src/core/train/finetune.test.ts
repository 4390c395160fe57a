import { expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { semevalRows, tinyModel, tinyTokenizer } from '../../../tests/engineFixtures';
import { runTrial } from './trainer';

// The embedded tiny model has random weights (no pretraining), so there is little to learn from 200 rows:
// this shows the loop fits what is learnable (word-level cues through LoRA on attention + FFN) without
// overfitting in 3 epochs. Pure-JS cpu backend: ~1–2 minutes.
it('fine-tuning the tiny model on 200 SemEval rows beats predicting the training mean', async () => {
  const tok = tinyTokenizer();
  const rows = semevalRows(200).map((r) => ({ ids: tok.encode(r.text, 64), score: r.score }));
  new Rng(3).shuffle(rows);
  const train = rows.slice(0, 160), val = rows.slice(160);
  const mean = train.reduce((s, r) => s + r.score, 0) / train.length;
  const baseline = val.reduce((s, r) => s + (r.score - mean) ** 2, 0) / val.length;
  const model = await tinyModel();
  const res = await runTrial(model, { train, val, numClasses: 0 }, {
    seed: 1, epochs: 3, batchSize: 8, lr: 3e-3, weightDecay: 0.01, warmupRatio: 0.1, clipNorm: 1,
    lora: { targets: ['attention.self.query', 'attention.self.value', 'intermediate.dense', 'output.dense'], ranks: [16, 16, 16, 16], alphas: 32, rslora: false, dropout: 0.1 },
    lossMode: 'constant', regWeight: 0.75, clsWeight: 0.25,
  });
  model.dispose();
  console.log(`fine-tune: validation MSE ${res.final?.mse?.toFixed(4)} vs training-mean baseline ${baseline.toFixed(4)}; per epoch ${res.epochs.map((e) => e.val.mse!.toFixed(4)).join(' ')}; ${res.timings.tokensPerSec.toFixed(0)} tok/s`);
  expect(res.status).toBe('completed');
  expect(res.final!.mse!).toBeLessThan(baseline);
}, 600_000);
