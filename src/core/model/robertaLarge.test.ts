import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { benchConfig, countUploads, randomWeights, setupBench } from '../diagnostics/bench';

// One full LoRA training step (forward, backward, clipping, AdamW) of a 24-layer model on tfjs' pure-JS
// cpu backend: ~40 GFLOP, about 1–3 minutes depending on the machine's load.
it('roberta-large shapes (24 × 1024, vocab 50265): split embedding, one LoRA step at batch 2 × 16 on cpu, stable tensor count', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const config = benchConfig('roberta-large-shape');
  expect(config).toMatchObject({ numLayers: 24, hiddenSize: 1024, numHeads: 16, intermediateSize: 4096, vocabSize: 50265 });
  const t0 = performance.now();
  // Dropout off so the step allocates nothing lazily: the count after the step must equal the one before.
  const s = setupBench(config, randomWeights(config), 2, 16, 1, false);
  // 206 MB table → chunks of ≤ 64 MiB, none above the 128 MiB binding limit.
  expect(s.model.wordChunks.length).toBe(4);
  for (const c of s.model.wordChunks) expect(c.size * 4).toBeLessThanOrEqual(128 * 1024 * 1024);
  expect(s.ctx.lora.paramCount()).toBe(24 * 8 * 2 * (1024 + 1024));
  const n0 = tf.memory().numTensors;
  const t1 = performance.now();
  const { result: loss, bytes } = await countUploads(s.step);
  const n1 = tf.memory().numTensors;
  console.log(`roberta-large shape: build ${((t1 - t0) / 1000).toFixed(1)} s, one step ${((performance.now() - t1) / 1000).toFixed(1)} s; loss ${loss.toFixed(4)}; uploads ${bytes} B; tensors ${n0} → ${n1}`);
  expect(Number.isFinite(loss)).toBe(true);
  expect(n1).toBe(n0);
  // Only ids, positions, mask, targets and a few per-step scalars go up — no weights.
  expect(bytes).toBeLessThan(2048);
  s.dispose();
  expect(tf.memory().numTensors).toBe(before);
}, 600_000);
