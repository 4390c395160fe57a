import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { benchConfig, randomWeights, setupBench } from '../train/bench';

it('roberta-large shapes (24 × 1024, vocab 50265): split embedding, one LoRA step at batch 2 × 16 on cpu, stable tensor count', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const config = benchConfig('roberta-large-shape');
  expect(config).toMatchObject({ numLayers: 24, hiddenSize: 1024, numHeads: 16, intermediateSize: 4096, vocabSize: 50265 });
  const t0 = performance.now();
  const s = setupBench(config, randomWeights(config), 2, 16);
  // 206 MB table → chunks of ≤ 64 MiB, none above the 128 MiB binding limit.
  expect(s.model.wordChunks.length).toBe(4);
  for (const c of s.model.wordChunks) expect(c.size * 4).toBeLessThanOrEqual(128 * 1024 * 1024);
  expect(s.ctx.lora.paramCount()).toBe(24 * 8 * 2 * (1024 + 1024));
  const l1 = await s.step();
  const n1 = tf.memory().numTensors;
  const l2 = await s.step();
  const n2 = tf.memory().numTensors;
  console.log(`roberta-large shape: build + 2 steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; losses ${l1.toFixed(4)} ${l2.toFixed(4)}; tensors ${n1} → ${n2}`);
  expect(Number.isFinite(l1) && Number.isFinite(l2)).toBe(true);
  expect(n2).toBe(n1);
  s.dispose();
  expect(tf.memory().numTensors).toBe(before);
}, 300_000);
