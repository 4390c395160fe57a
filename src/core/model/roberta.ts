/**
 * RoBERTa encoder matching Hugging Face `RobertaModel` (eager attention, fp32):
 * embeddings = LN(word[ids] + pos[positionIds] + tokenType[0]); positions start at padId + 1 and count
 * only non-pad tokens; post-LN blocks; exact GELU; additive large-negative attention mask; dropout only
 * when training. Returns the hidden state of the first token (`<s>`), which is all the heads use; the last
 * layer is therefore evaluated for the `<s>` rows only (keys/values still see every token), which is exact.
 *
 * Frozen weights are uploaded once as plain tensors (never variables). The word embedding is split into
 * row chunks so no single buffer exceeds `maxBufferBytes` (roberta-large's table is 206 MB, above the
 * 128 MiB binding limit of many GPUs); per step only the ids go up.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from './safetensors';
import type { RobertaConfig } from './config';
import { TARGET_MODULES, type TargetModule } from './adapter';
import { sizeOfConfig, targetShape } from './shape';
import type { EncodedBatch } from './tokenizer';
import type { DropoutSource } from './dropout';
import { Consts, customOp, makeFrozenLinear, makeGelu, makeLayerNorm, maskedSoftmax } from './ops';

export interface FrozenLinear {
  W: tf.Tensor2D; // [out, in], torch layout
  b: tf.Tensor1D;
  inFeatures: number;
  outFeatures: number;
  apply: (x: tf.Tensor2D) => tf.Tensor2D;
}

export interface LayerWeights {
  linears: Record<TargetModule, FrozenLinear>;
  lnAttn: (x: tf.Tensor2D) => tf.Tensor2D;
  lnOut: (x: tf.Tensor2D) => tf.Tensor2D;
  lnTensors: tf.Tensor[];
}

/** A LoRA (or any) adapter on one linear: returns base + its delta. */
export interface LinearAdapter {
  apply(x: tf.Tensor2D, base: tf.Tensor2D, dropout: DropoutSource | undefined): tf.Tensor2D;
}
export interface AdapterProvider {
  get(layer: number, target: TargetModule): LinearAdapter | undefined;
  /** Trainable tensors used by layer `layer` (needed for activation recomputation). */
  layerVariables(layer: number): tf.Variable[];
}

/** A batch on the device: ids (per embedding chunk), position ids and the additive attention mask. */
export interface ModelInput {
  batch: number;
  seqLen: number;
  /** Local row ids per used chunk, in chunk order. */
  chunkIds: { chunk: number; ids: tf.Tensor1D }[];
  /** Gathers the chunk-ordered rows back to token order (absent with one chunk). */
  order?: tf.Tensor1D;
  positionIds: tf.Tensor1D;
  /** [B, 1, 1, S]: 0 for real tokens, −1e9 for padding. */
  mask: tf.Tensor4D;
  uploadBytes: number;
  dispose(): void;
}

export interface ForwardOptions {
  training: boolean;
  /** Dropout masks (used only when training; absent = no dropout). */
  dropout?: DropoutSource;
  adapter?: AdapterProvider;
  /** Per-layer activation recomputation (gradient checkpointing) while training. */
  recompute?: boolean;
}

export class WeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsError';
  }
}

const MASK_NEG = -1e9;
const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

export class RobertaModel {
  readonly config: RobertaConfig;
  readonly wordChunks: tf.Tensor2D[];
  readonly chunkRows: number;
  /** position_embeddings + token_type_embeddings[0], combined once (type ids are always 0). */
  readonly posTable: tf.Tensor2D;
  readonly embLn: (x: tf.Tensor2D) => tf.Tensor2D;
  readonly layers: LayerWeights[];
  /** Resident scalars (attention scale, LayerNorm eps, GELU constants). */
  readonly consts: Consts;
  private readonly gelu: <T extends tf.Tensor>(x: T) => T;
  private readonly owned: tf.Tensor[];
  private disposed = false;

  constructor(config: RobertaConfig, parts: { wordChunks: tf.Tensor2D[]; chunkRows: number; posTable: tf.Tensor2D; embLn: (x: tf.Tensor2D) => tf.Tensor2D; layers: LayerWeights[]; owned: tf.Tensor[]; consts: Consts }) {
    this.config = config;
    this.wordChunks = parts.wordChunks;
    this.chunkRows = parts.chunkRows;
    this.posTable = parts.posTable;
    this.embLn = parts.embLn;
    this.layers = parts.layers;
    this.owned = parts.owned;
    this.consts = parts.consts;
    this.gelu = makeGelu(parts.consts);
    // Created now, not lazily, so the live-tensor count never changes after construction.
    this.consts.get(1 / Math.sqrt(config.hiddenSize / config.numHeads));
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  /** Shape [out, in] of a target module (same in every layer). */
  targetShape(t: TargetModule): { out: number; in: number } {
    const l = this.layers[0].linears[t];
    return { out: l.outFeatures, in: l.inFeatures };
  }

  /** Upload one padded batch. Ids are validated against the vocabulary and position table. */
  prepareInput(enc: EncodedBatch): ModelInput {
    const { batch: B, seqLen: S, inputIds, attentionMask } = enc;
    const c = this.config;
    if (S < 1 || B < 1) throw new Error('Empty batch: at least one row with one token is needed.');
    if (S > c.maxPositions - c.padId - 1)
      throw new Error(`Sequence length ${S} exceeds the model's maximum of ${c.maxPositions - c.padId - 1} tokens; lower the max length.`);
    const N = B * S;
    const pos = new Int32Array(N);
    const maskData = new Float32Array(N);
    for (let b = 0; b < B; b++) {
      let count = 0;
      for (let s = 0; s < S; s++) {
        const i = b * S + s;
        const id = inputIds[i];
        if (!(id >= 0 && id < c.vocabSize)) throw new Error(`Token id ${id} (row ${b + 1}, position ${s + 1}) is outside the vocabulary of ${c.vocabSize}.`);
        // HF create_position_ids_from_input_ids: counts non-pad tokens, pads get padId.
        if (id !== c.padId) pos[i] = ++count + c.padId;
        else pos[i] = c.padId;
        maskData[i] = attentionMask[i] ? 0 : MASK_NEG;
      }
    }
    const tensors: tf.Tensor[] = [];
    const chunkIds: { chunk: number; ids: tf.Tensor1D }[] = [];
    let order: tf.Tensor1D | undefined;
    let upload = N * 4 * 2;
    if (this.wordChunks.length === 1) {
      const t = tf.tensor1d(inputIds, 'int32');
      chunkIds.push({ chunk: 0, ids: t });
      upload += N * 4;
    } else {
      const R = this.chunkRows;
      const buckets: number[][] = this.wordChunks.map(() => []);
      for (let i = 0; i < N; i++) buckets[Math.floor(inputIds[i] / R)].push(i);
      const inv = new Int32Array(N);
      let p = 0;
      buckets.forEach((rows, ci) => {
        if (!rows.length) return;
        const local = new Int32Array(rows.length);
        rows.forEach((r, j) => {
          local[j] = inputIds[r] - ci * R;
          inv[r] = p + j;
        });
        p += rows.length;
        chunkIds.push({ chunk: ci, ids: tf.tensor1d(local, 'int32') });
        upload += rows.length * 4;
      });
      order = tf.tensor1d(inv, 'int32');
      upload += N * 4;
    }
    const positionIds = tf.tensor1d(pos, 'int32');
    const mask = tf.tensor4d(maskData, [B, 1, 1, S]);
    tensors.push(...chunkIds.map((c) => c.ids), positionIds, mask);
    if (order) tensors.push(order);
    return { batch: B, seqLen: S, chunkIds, order, positionIds, mask, uploadBytes: upload, dispose: () => tensors.forEach((t) => t.dispose()) };
  }

  /** Embedding output [B·S, H] (before the encoder layers). */
  embed(input: ModelInput, opts: ForwardOptions): tf.Tensor2D {
    let words: tf.Tensor2D;
    if (input.chunkIds.length === 1 && !input.order) words = tf.gather(this.wordChunks[0], input.chunkIds[0].ids);
    else {
      const parts = input.chunkIds.map((c) => tf.gather(this.wordChunks[c.chunk], c.ids));
      words = tf.gather(parts.length === 1 ? parts[0] : tf.concat(parts, 0), input.order!);
    }
    const x = tf.add(words, tf.gather(this.posTable, input.positionIds)) as tf.Tensor2D;
    return drop(opts, this.embLn(x), this.config.hiddenDropout);
  }

  /**
   * One encoder block. `firstOnly`: compute outputs for the `<s>` rows only (last layer), returning [B, H].
   */
  layer(i: number, x: tf.Tensor2D, input: ModelInput, opts: ForwardOptions, firstOnly: boolean): tf.Tensor2D {
    const c = this.config;
    const L = this.layers[i];
    const B = input.batch, S = input.seqLen, H = c.hiddenSize, nh = c.numHeads, dh = H / nh;
    const lin = (t: TargetModule, v: tf.Tensor2D) => {
      const base = L.linears[t].apply(v);
      const a = opts.adapter?.get(i, t);
      return a ? a.apply(v, base, opts.training ? opts.dropout : undefined) : base;
    };
    const hdrop = c.hiddenDropout;
    const xq = firstOnly ? (tf.reshape(tf.slice(tf.reshape(x, [B, S, H]), [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D) : x;
    const Sq = firstOnly ? 1 : S;
    const q = tf.transpose(tf.reshape(lin('attention.self.query', xq), [B, Sq, nh, dh]), [0, 2, 1, 3]);
    const k = tf.transpose(tf.reshape(lin('attention.self.key', x), [B, S, nh, dh]), [0, 2, 1, 3]);
    const v = tf.transpose(tf.reshape(lin('attention.self.value', x), [B, S, nh, dh]), [0, 2, 1, 3]);
    const probs = drop(opts, maskedSoftmax(tf.matMul(q, k, false, true) as tf.Tensor4D, input.mask, 1 / Math.sqrt(dh), this.consts), c.attentionDropout);
    const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * Sq, H]) as tf.Tensor2D;
    const attn = drop(opts, lin('attention.output.dense', ctx), hdrop);
    const x1 = L.lnAttn(tf.add(attn, xq));
    const inter = this.gelu(lin('intermediate.dense', x1));
    const out = drop(opts, lin('output.dense', inter), hdrop);
    return L.lnOut(tf.add(out, x1));
  }

  /** `<s>` features [B, H]. Call inside tf.tidy (or a gradient function). */
  forward(input: ModelInput, opts: ForwardOptions): tf.Tensor2D {
    if (this.disposed) throw new Error('The model was disposed.');
    let x = this.embed(input, opts);
    const n = this.layers.length;
    for (let i = 0; i < n; i++) {
      const firstOnly = i === n - 1;
      // One child dropout stream per block, so a recomputed block replays exactly the same masks.
      const seed = opts.training && opts.dropout ? opts.dropout.nextSeed() : undefined;
      const lo: ForwardOptions = { ...opts, dropout: seed !== undefined ? opts.dropout!.withSeed(seed) : undefined };
      if (opts.recompute && opts.training && opts.adapter) x = this.recomputedLayer(i, x, input, opts, firstOnly, seed);
      else x = this.layer(i, x, input, lo, firstOnly);
    }
    return x;
  }

  /**
   * Gradient checkpointing: run the block without keeping its activations; in backward, re-run it under
   * a local tape (same dropout seeds) and back-propagate through it. Only the block input is kept.
   */
  private recomputedLayer(i: number, x: tf.Tensor2D, input: ModelInput, opts: ForwardOptions, firstOnly: boolean, seed: number | undefined): tf.Tensor2D {
    const vars = opts.adapter!.layerVariables(i);
    const src = opts.dropout;
    const replay = (): ForwardOptions => ({ ...opts, dropout: src && seed !== undefined ? src.withSeed(seed) : undefined, recompute: false });
    const f = customOp((args, save) => {
      const xin = args[0] as tf.Tensor2D;
      save([xin]);
      return {
        value: this.layer(i, xin, input, replay(), firstOnly),
        gradFunc: (dy, saved) => {
          const [xs] = saved;
          // A gradient computed inside another's backward: tfjs' engine would replace (and then clear) the
          // outer active tape, so keep it aside and put it back.
          const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
          const outer = state.activeTape;
          try {
            const g = tf.grads((xx: tf.Tensor) => this.layer(i, xx as tf.Tensor2D, input, replay(), firstOnly));
            return g([xs, ...vars], dy);
          } finally {
            state.activeTape = outer;
          }
        },
      };
    });
    return f(x, ...vars) as tf.Tensor2D;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.dispose();
    this.consts.dispose();
  }
}

function drop<T extends tf.Tensor>(opts: ForwardOptions, x: T, rate: number): T {
  return opts.training && opts.dropout ? opts.dropout.apply(x, rate) : x;
}

export interface BuildOptions {
  /** Largest single weight buffer (bytes); the word embedding is split into row chunks below it. */
  maxBufferBytes?: number;
}

/**
 * Build the encoder from parsed safetensors. Keys may carry the `roberta.` prefix (RobertaFor* checkpoints)
 * or not (RobertaModel); lm_head / pooler / classifier tensors are ignored.
 */
export function buildModel(config: RobertaConfig, tensors: Map<string, NamedTensor>, opts: BuildOptions = {}): RobertaModel {
  const H = config.hiddenSize;
  const missing: string[] = [];
  const bad: string[] = [];
  const get = (key: string, shape: number[]): NamedTensor | undefined => {
    const t = tensors.get(key) ?? tensors.get(`roberta.${key}`);
    if (!t) {
      missing.push(key);
      return undefined;
    }
    if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
      bad.push(`${key}: shape [${t.shape}] but the config implies [${shape}]`);
      return undefined;
    }
    return t;
  };
  const word = get('embeddings.word_embeddings.weight', [config.vocabSize, H]);
  const pos = get('embeddings.position_embeddings.weight', [config.maxPositions, H]);
  const tt = get('embeddings.token_type_embeddings.weight', [config.typeVocabSize, H]);
  const embG = get('embeddings.LayerNorm.weight', [H]);
  const embB = get('embeddings.LayerNorm.bias', [H]);
  const size = sizeOfConfig(config);
  const shapes = Object.fromEntries(
    TARGET_MODULES.map((t) => [t, [targetShape(t, size).out, targetShape(t, size).in]]),
  ) as Record<TargetModule, [number, number]>;
  const raw: { lin: Record<string, { W?: NamedTensor; b?: NamedTensor }>; ln: (NamedTensor | undefined)[] }[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const p = `encoder.layer.${l}.`;
    const lin: Record<string, { W?: NamedTensor; b?: NamedTensor }> = {};
    for (const [t, s] of Object.entries(shapes)) lin[t] = { W: get(`${p}${t}.weight`, s), b: get(`${p}${t}.bias`, [s[0]]) };
    raw.push({
      lin,
      ln: [get(`${p}attention.output.LayerNorm.weight`, [H]), get(`${p}attention.output.LayerNorm.bias`, [H]), get(`${p}output.LayerNorm.weight`, [H]), get(`${p}output.LayerNorm.bias`, [H])],
    });
  }
  if (missing.length || bad.length) {
    const msg: string[] = [];
    if (missing.length) msg.push(`missing ${missing.length} tensor(s): ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}`);
    if (bad.length) msg.push(`wrong shapes: ${bad.slice(0, 6).join('; ')}${bad.length > 6 ? '; …' : ''}`);
    throw new WeightsError(`model.safetensors does not match config.json (${config.numLayers} layers, hidden ${H}): ${msg.join('; ')}.`);
  }

  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const maxBytes = opts.maxBufferBytes ?? DEFAULT_MAX_BUFFER;
  const chunkRows = Math.max(1, Math.min(config.vocabSize, Math.floor(maxBytes / (H * 4))));
  const wordChunks: tf.Tensor2D[] = [];
  for (let r0 = 0; r0 < config.vocabSize; r0 += chunkRows) {
    const r1 = Math.min(config.vocabSize, r0 + chunkRows);
    wordChunks.push(own(tf.tensor2d(word!.data.subarray(r0 * H, r1 * H), [r1 - r0, H])));
  }
  const posData = new Float32Array(pos!.data.length);
  for (let i = 0; i < posData.length; i++) posData[i] = pos!.data[i] + tt!.data[i % H];
  const posTable = own(tf.tensor2d(posData, [config.maxPositions, H]));
  const consts = new Consts();
  const eps = config.layerNormEps;
  const embLn = makeLayerNorm(own(tf.tensor1d(embG!.data)), own(tf.tensor1d(embB!.data)), eps, consts);
  const layers: LayerWeights[] = raw.map((r) => {
    const linears = {} as Record<TargetModule, FrozenLinear>;
    for (const [t, s] of Object.entries(shapes) as [TargetModule, [number, number]][]) {
      const W = own(tf.tensor2d(r.lin[t].W!.data, s));
      const b = own(tf.tensor1d(r.lin[t].b!.data));
      linears[t] = { W, b, outFeatures: s[0], inFeatures: s[1], apply: makeFrozenLinear(W, b) };
    }
    const lnT = r.ln.map((t) => own(tf.tensor1d(t!.data)));
    return { linears, lnAttn: makeLayerNorm(lnT[0], lnT[1], eps, consts), lnOut: makeLayerNorm(lnT[2], lnT[3], eps, consts), lnTensors: lnT };
  });
  return new RobertaModel(config, { wordChunks, chunkRows, posTable, embLn, layers, owned, consts });
}
