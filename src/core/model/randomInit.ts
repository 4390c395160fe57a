/**
 * Random weights for the tiny RoBERTa configuration (4 layers, hidden 128, the real RoBERTa vocabulary):
 * HF-style initialisation (normal(0, 0.02), zeroed padding row) plus small non-zero biases and LayerNorm
 * offsets so a reference comparison exercises every term. Deterministic: the same seed gives the same bytes
 * on every machine. This was the embedded model before it was MLM-pretrained; it stays as the control that
 * cannot learn much (tests/engineFixtures.ts `randomTinyModel`, `npm run finetune -- --model random`) and as
 * a quickly generated model folder (scripts/build-tiny-model.ts).
 */
import { Rng } from '../util/rng';
import type { NamedTensor } from './safetensors';

/** config.json of the tiny model (the embedded pretrained model has the same architecture). */
export const TINY_CONFIG = {
  _name_or_path: 'rank-lab/tiny-roberta',
  architectures: ['RobertaModel'],
  model_type: 'roberta',
  vocab_size: 50265,
  hidden_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  intermediate_size: 512,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 514,
  type_vocab_size: 1,
  initializer_range: 0.02,
  layer_norm_eps: 1e-5,
  pad_token_id: 1,
  bos_token_id: 0,
  eos_token_id: 2,
  position_embedding_type: 'absolute',
  torch_dtype: 'float32',
};

/** Seed of the random weights the embedded model had before pretraining (the control's default). */
export const RANDOM_TINY_SEED = 20171;

/** Random weights for TINY_CONFIG, keyed as in a RobertaModel checkpoint (`roberta.` prefix). */
export function buildTinyWeights(seed = RANDOM_TINY_SEED): Map<string, NamedTensor> {
  const c = TINY_CONFIG;
  const rng = new Rng(seed);
  const H = c.hidden_size, I = c.intermediate_size;
  const t = new Map<string, NamedTensor>();
  const normal = (shape: number[], std = c.initializer_range) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
    return { shape, data };
  };
  const fill = (shape: number[], v: number) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
  // Small non-zero biases and LayerNorm offsets so the reference comparison exercises every term.
  const bias = (n: number) => normal([n], 0.02);
  const ln = (prefix: string) => {
    const w = normal([H], 0.05);
    for (let i = 0; i < H; i++) w.data[i] += 1;
    t.set(`${prefix}.weight`, w);
    t.set(`${prefix}.bias`, bias(H));
  };
  const p = 'roberta.';
  const emb = normal([c.vocab_size, H]);
  // HF zeroes the padding row of the word embedding.
  emb.data.fill(0, c.pad_token_id * H, (c.pad_token_id + 1) * H);
  t.set(`${p}embeddings.word_embeddings.weight`, emb);
  t.set(`${p}embeddings.position_embeddings.weight`, normal([c.max_position_embeddings, H]));
  t.set(`${p}embeddings.token_type_embeddings.weight`, normal([c.type_vocab_size, H]));
  ln(`${p}embeddings.LayerNorm`);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const q = `${p}encoder.layer.${l}.`;
    for (const n of ['query', 'key', 'value']) {
      t.set(`${q}attention.self.${n}.weight`, normal([H, H]));
      t.set(`${q}attention.self.${n}.bias`, bias(H));
    }
    t.set(`${q}attention.output.dense.weight`, normal([H, H]));
    t.set(`${q}attention.output.dense.bias`, bias(H));
    ln(`${q}attention.output.LayerNorm`);
    t.set(`${q}intermediate.dense.weight`, normal([I, H]));
    t.set(`${q}intermediate.dense.bias`, bias(I));
    t.set(`${q}output.dense.weight`, normal([H, I]));
    t.set(`${q}output.dense.bias`, bias(H));
    ln(`${q}output.LayerNorm`);
  }
  t.set(`${p}pooler.dense.weight`, normal([H, H]));
  t.set(`${p}pooler.dense.bias`, fill([H], 0));
  return t;
}
