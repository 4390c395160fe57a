import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { tinyModel, tinyWeights } from '../../../tests/engineFixtures';
import { ConfigError, parseRobertaConfig } from './config';
import { buildModel, WeightsError } from './roberta';
import { createLora } from './lora';
import { loraParamCount } from './shape';
import { createHeads } from './heads';
import { DropoutPool } from './dropout';
import { padBatch } from './tokenizer';
import type { NamedTensor } from './safetensors';

const baseCfg = () => ({ model_type: 'roberta', vocab_size: 100, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 32, max_position_embeddings: 40, pad_token_id: 1 });

describe('parseRobertaConfig', () => {
  it('reads a HF config and names the bad field otherwise', () => {
    const c = parseRobertaConfig(baseCfg());
    expect(c).toMatchObject({ hiddenSize: 16, numLayers: 2, numHeads: 4, intermediateSize: 32, padId: 1, layerNormEps: 1e-12, typeVocabSize: 1 });
    const { hidden_size: _, ...noHidden } = baseCfg();
    expect(() => parseRobertaConfig(noHidden)).toThrow(/"hidden_size" is missing/);
    expect(() => parseRobertaConfig({ ...baseCfg(), num_attention_heads: 5 })).toThrow(/not divisible by "num_attention_heads"/);
    expect(() => parseRobertaConfig({ ...baseCfg(), model_type: 'bert' })).toThrow(ConfigError);
    expect(() => parseRobertaConfig({ ...baseCfg(), hidden_act: 'relu' })).toThrow(/"hidden_act"/);
    expect(() => parseRobertaConfig({ ...baseCfg(), num_hidden_layers: 2.5 })).toThrow(/"num_hidden_layers" must be an integer/);
    expect(() => parseRobertaConfig('x')).toThrow(/not a JSON object/);
  });
});

describe('buildModel', () => {
  it('accepts keys with or without the roberta. prefix, ignores heads, and lists missing tensors', async () => {
    await tf.setBackend('cpu');
    const { config, tensors } = tinyWeights();
    const stripped = new Map<string, NamedTensor>([...tensors].map(([k, v]) => [k.replace(/^roberta\./, ''), v]));
    stripped.set('lm_head.dense.weight', { shape: [2], data: new Float32Array(2) });
    const a = buildModel(config, tensors), b = buildModel(config, stripped);
    const enc = padBatch([[0, 100, 200, 2]], 1);
    const fa = tf.tidy(() => a.forward(a.prepareInput(enc), { training: false }).dataSync());
    const fb = tf.tidy(() => b.forward(b.prepareInput(enc), { training: false }).dataSync());
    expect(Array.from(fb)).toEqual(Array.from(fa));
    a.dispose();
    b.dispose();
    const broken = new Map(tensors);
    broken.delete('roberta.encoder.layer.2.attention.self.key.weight');
    broken.set('roberta.encoder.layer.0.intermediate.dense.bias', { shape: [7], data: new Float32Array(7) });
    expect(() => buildModel(config, broken)).toThrow(WeightsError);
    expect(() => buildModel(config, broken)).toThrow(/encoder\.layer\.2\.attention\.self\.key\.weight[\s\S]*intermediate\.dense\.bias: shape \[7\]/);
  });

  it('splits the word embedding into row chunks below the buffer limit with identical results', async () => {
    const full = await tinyModel();
    const chunked = await tinyModel({ maxBufferBytes: 2 * 1024 * 1024 });
    expect(full.wordChunks).toHaveLength(1);
    expect(chunked.wordChunks.length).toBeGreaterThan(10);
    for (const c of chunked.wordChunks) expect(c.size * 4).toBeLessThanOrEqual(2 * 1024 * 1024);
    const enc = padBatch([[0, 5, 40000, 12345, 50264, 2], [0, 4097, 2]], 1);
    const i1 = full.prepareInput(enc), i2 = chunked.prepareInput(enc);
    const f1 = tf.tidy(() => full.forward(i1, { training: false }).dataSync());
    const f2 = tf.tidy(() => chunked.forward(i2, { training: false }).dataSync());
    expect(Array.from(f2)).toEqual(Array.from(f1));
    // Only ids, positions and the mask go up: no embedding rows.
    expect(i2.uploadBytes).toBeLessThanOrEqual(12 * 4 * 4);
    i1.dispose();
    i2.dispose();
    full.dispose();
    chunked.dispose();
  });

  it('gives each row the same <s> features whatever padding the batch adds (padding-offset positions, mask)', async () => {
    const m = await tinyModel();
    const row = [0, 31, 415, 926, 2];
    const alone = tf.tidy(() => m.forward(m.prepareInput(padBatch([row], 1)), { training: false }).dataSync());
    const padded = tf.tidy(() => m.forward(m.prepareInput(padBatch([row, [0, ...Array(20).fill(77), 2]], 1)), { training: false }).dataSync());
    for (let i = 0; i < alone.length; i++) expect(padded[i]).toBeCloseTo(alone[i], 5);
    expect(() => m.prepareInput(padBatch([[0, 50265, 2]], 1))).toThrow(/outside the vocabulary/);
    expect(() => m.prepareInput(padBatch([Array(600).fill(5)], 1))).toThrow(/exceeds the model's maximum of 512/);
    m.dispose();
  });

  it('activation recomputation gives the same loss and gradients (dropout on)', async () => {
    const m = await tinyModel();
    const lora = createLora(m, { targets: ['attention.self.query', 'attention.self.value', 'output.dense'], ranks: [2, 4, 0, 3], alphas: 8, rslora: false, dropout: 0.1 }, new Rng(1));
    for (const v of lora.variables()) v.assign(tf.randomNormal(v.shape, 0, 0.05, 'float32', 3));
    const input = m.prepareInput(padBatch([[0, 8, 9, 10, 2], [0, 11, 2]], 1));
    const pool = new DropoutPool(9, new Rng(4));
    const run = (recompute: boolean) => {
      pool.rng = new Rng(4);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(input, { training: true, dropout: pool, adapter: lora, recompute }))) as tf.Scalar, lora.variables());
      const out = { loss: value.dataSync()[0], grads: lora.variables().map((v) => Array.from(grads[v.name].dataSync())) };
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      return out;
    };
    const a = run(false), b = run(true);
    expect(Math.abs(b.loss - a.loss) / a.loss).toBeLessThan(1e-6);
    const scale = Math.max(...a.grads.flat().map(Math.abs));
    a.grads.forEach((g, i) => g.forEach((x, j) => expect(Math.abs(b.grads[i][j] - x)).toBeLessThan(1e-5 * scale)));
    input.dispose();
    pool.dispose();
    lora.dispose();
    m.dispose();
  });
});

describe('LoRA and heads', () => {
  it('creates per-layer adapters with PEFT init, scaling and an exact parameter count', async () => {
    const m = await tinyModel();
    const before = tf.memory().numTensors;
    const targets = ['attention.self.query', 'intermediate.dense'] as const;
    const lora = createLora(m, { targets: [...targets], ranks: [0, 4, 8, 16], alphas: [1, 8, 8, 8], rslora: false, dropout: 0 }, new Rng(5));
    expect(lora.paramCount()).toBe((4 + 8 + 16) * (256 + 640));
    expect(loraParamCount([0, 4, 8, 16], targets.map((t) => m.targetShape(t)))).toBe(lora.paramCount());
    expect(lora.entries.has('0.attention.self.query')).toBe(false);
    const e = lora.entries.get('2.intermediate.dense')!;
    expect(e.A.shape).toEqual([8, 128]);
    expect(e.B.shape).toEqual([512, 8]);
    expect(e.scale).toBe(1);
    const a = e.A.dataSync();
    expect(Math.max(...a)).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1 / Math.sqrt(128));
    expect(Math.max(...a)).toBeGreaterThan(0.8 / Math.sqrt(128));
    expect(e.B.dataSync().every((x) => x === 0)).toBe(true);
    const rs = createLora(m, { targets: ['attention.self.value'], ranks: [16, 16, 16, 16], alphas: 8, rslora: true, dropout: 0 }, new Rng(5));
    expect(rs.entries.get('0.attention.self.value')!.scale).toBe(2);
    expect(() => createLora(m, { targets: ['query' as never], ranks: [1, 1, 1, 1], alphas: 8, rslora: false, dropout: 0 }, new Rng(1))).toThrow(/unknown target module "query"/);
    expect(() => createLora(m, { targets: [...targets], ranks: [1, 1, 1], alphas: 8, rslora: false, dropout: 0 }, new Rng(1))).toThrow(/3 ranks given but the model has 4 layers/);
    const heads = createHeads(128, { regression: true, numClasses: 3, dropout: 0.1 }, new Rng(6));
    expect(heads.paramCount()).toBe(128 * 128 + 128 + 128 + 1 + 128 * 128 + 128 + 128 * 3 + 3);
    const w = heads.params.get('regression.out.weight')!.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    // Same seed, same init.
    const again = createLora(m, { targets: [...targets], ranks: [0, 4, 8, 16], alphas: [1, 8, 8, 8], rslora: false, dropout: 0 }, new Rng(5));
    expect(Array.from(again.entries.get('2.intermediate.dense')!.A.dataSync())).toEqual(Array.from(a));
    [lora, rs, again].forEach((l) => l.dispose());
    heads.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});
