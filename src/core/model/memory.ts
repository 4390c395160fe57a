/**
 * How many bytes of device memory one LoRA training step holds at its peak, from the model's shape and the
 * step's settings alone (no tensors): the Model page's "fits your GPU" check and the preset choice use it
 * for models too large to try, such as roberta-large.
 *
 * Why it is so large: tfjs keeps every tensor a step creates until the gradient pass ends (the tape holds
 * the forward's activations for the backward, and the backward's own intermediates stay in the same scope),
 * so the peak is roughly everything the step allocates. The per-row counts below are how many tensors of
 * each size the engine's own code leaves alive at that peak; they were counted with BufferMeter
 * (diagnostics/memoryProbe.ts) on shapes whose sizes cannot be confused, and the tests check the sum against
 * measured peaks on other shapes (Vitest: cpu; e2e/memory.spec.ts: webgpu).
 */
import type { TargetModule } from './adapter';
import { targetShape } from './shape';

/** Width of the task heads' hidden layer (heads.ts HEAD_HIDDEN; a test keeps the two equal). Not imported:
 *  heads.ts loads tfjs, and this module also runs on the UI thread. */
export const MEMORY_HEAD_HIDDEN = 128;

export interface MemoryModelShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  hiddenDropout: number;
  attentionDropout: number;
}

export interface MemoryStepSettings {
  batch: number;
  /** Tokens per row after padding (the run's max length is the worst case). */
  seqLen: number;
  targets: TargetModule[];
  /** The largest rank any layer gets (memory follows the worst configuration a search may try). */
  rank: number;
  loraDropout: number;
  /** Classes of the classification head (0 = none); the regression head is assumed present. */
  classes: number;
  /** Activation recomputation: keep only block inputs, re-run each block in the backward pass. */
  recompute: boolean;
  /** 'fused' = the WebGPU backend's one-kernel LayerNorm / GELU / softmax; 'composite' = the other backends. */
  kernels: 'fused' | 'composite';
}

/** The parts of the peak, in bytes; `total` is what they add up to. */
export interface MemoryEstimate {
  /** Frozen encoder weights in fp32 (word table, positions, every block), uploaded once. */
  weights: number;
  /** Dropout pools: 2^21 multipliers per distinct rate, resident (model/dropout.ts). */
  dropoutPools: number;
  /** LoRA and head parameters with AdamW's two moments (3 floats per trainable). */
  trainableState: number;
  /** Activations kept for the backward pass and the backward's intermediates, attention probabilities apart. */
  activations: number;
  /** Attention scores/probabilities and their gradients: batch × heads × seq² per tensor, the term that grows with seq². */
  attentionProbs: number;
  /** One gradient per trainable, alive at the peak. */
  gradients: number;
  /** The optimizer update's temporaries, when they exceed activations + gradients (huge ranks, recomputation). */
  optimizerExtra: number;
  total: number;
  /** The step's largest single buffers, by what they hold (a GPU limits the size of each buffer and binding). */
  buffers: StepBuffer[];
}

export interface StepBuffer {
  bytes: number;
  what: 'attention scores' | 'intermediate activations' | 'optimizer moments';
}

/**
 * Tensors alive at the peak, per row of a full block (counted, see the file comment): of width hidden,
 * of width intermediate, and per attention row (× heads × seq). The fused kernels leave out the composite
 * ops' intermediates (centred x, squares, erf, Φ, scaled and masked scores).
 */
const PER_ROW = {
  composite: { block: { h: 45, i: 10, probs: 10, one: 6 }, lastRows: { h: 43, i: 10, probs: 10 } },
  fused: { block: { h: 35, i: 3, probs: 6, one: 0 }, lastRows: { h: 33, i: 3, probs: 6 } },
} as const;
/** Per LoRA target per row: dropout mask and product on the input (2·in), dx through A and B (2·in), the
 *  output and its gradient (2·out), x·Aᵀ, its scaling and their gradients (4·r). */
const LORA_PER_ROW = { in: 4, out: 2, rank: 4 };
/** Embeddings (word + position gathers, sum, LayerNorm) and the last block's keys and values, per row in hidden units. */
const EMBED_AND_LAST_KV_H = 7;
/** With recomputation: each block input and output (2 per layer), plus what the re-run block's gradient leaves. */
const RECOMPUTE_SAVED_PER_LAYER_H = 2;
const RECOMPUTE_EXTRA_H = 5;
/** AdamW + clipping on the flat gradient: 15 vectors of the trainable count alive in the update. */
const OPTIMIZER_VECTORS = 15;
const DROPOUT_POOL_BYTES = 4 * 2 ** 21;
const F32 = 4;

function targetDims(t: TargetModule, m: MemoryModelShape): { in: number; out: number } {
  return targetShape(t, m);
}

/** Frozen encoder parameters as the engine holds them (position + token-type tables folded into one). */
export function frozenWeightCount(m: MemoryModelShape): number {
  const H = m.hidden, I = m.intermediate;
  const block = 4 * H * H + 2 * H * I + 4 * H + I + H + 4 * H;
  return m.vocab * H + m.maxPositions * H + 2 * H + m.layers * block;
}

export function trainableCount(m: MemoryModelShape, s: Pick<MemoryStepSettings, 'targets' | 'rank' | 'classes'>): number {
  const lora = m.layers * s.rank * s.targets.reduce((a, t) => a + targetDims(t, m).in + targetDims(t, m).out, 0);
  const regression = MEMORY_HEAD_HIDDEN * m.hidden + MEMORY_HEAD_HIDDEN + MEMORY_HEAD_HIDDEN + 1;
  const classification = s.classes > 0 ? MEMORY_HEAD_HIDDEN * m.hidden + MEMORY_HEAD_HIDDEN + MEMORY_HEAD_HIDDEN * s.classes + s.classes : 0;
  return lora + regression + classification;
}

export function estimateStepMemory(m: MemoryModelShape, s: MemoryStepSettings): MemoryEstimate {
  const B = s.batch, S = s.seqLen, N = B * S, H = m.hidden, I = m.intermediate, r = s.rank;
  const k = PER_ROW[s.kernels];
  const rates = new Set([m.hiddenDropout, m.attentionDropout, s.loraDropout].filter((p) => p > 0));
  const trainables = trainableCount(m, s);

  const loraRow = (t: TargetModule) => LORA_PER_ROW.in * targetDims(t, m).in + LORA_PER_ROW.out * targetDims(t, m).out + LORA_PER_ROW.rank * r;
  const loraPerBlock = N * s.targets.reduce((a, t) => a + loraRow(t), 0);
  const blockActs = N * (k.block.h * H + k.block.i * I + k.block.one) + loraPerBlock;
  const blockProbs = N * k.block.probs * m.heads * S;

  let activations: number, attentionProbs: number;
  if (s.recompute) {
    // Block inputs and outputs stay; one block at a time is re-run with its full activations.
    activations = N * H * (RECOMPUTE_SAVED_PER_LAYER_H * m.layers + RECOMPUTE_EXTRA_H) + blockActs;
    attentionProbs = blockProbs;
  } else {
    // The last block computes the <s> rows only (B rows), but its keys and values (and their LoRA) see every row.
    const isKv = (t: TargetModule) => t === 'attention.self.key' || t === 'attention.self.value';
    const lastLora = s.targets.reduce((a, t) => a + (isKv(t) ? N : B) * loraRow(t), 0);
    const last = B * (k.lastRows.h * H + k.lastRows.i * I) + N * EMBED_AND_LAST_KV_H * H + lastLora;
    activations = (m.layers - 1) * blockActs + last;
    attentionProbs = (m.layers - 1) * blockProbs + B * k.lastRows.probs * m.heads * S;
  }
  const gradients = trainables;
  const optimizerExtra = Math.max(0, OPTIMIZER_VECTORS * trainables - (activations + attentionProbs + gradients));
  const parts = {
    weights: frozenWeightCount(m) * F32,
    dropoutPools: rates.size * DROPOUT_POOL_BYTES,
    trainableState: 3 * trainables * F32,
    activations: activations * F32,
    attentionProbs: attentionProbs * F32,
    gradients: gradients * F32,
    optimizerExtra: optimizerExtra * F32,
  };
  // One [B, heads, S, S] score tensor, one [B·S, intermediate] activation, one flat vector of all trainables
  // (AdamW's moments and the clipped gradient are flattened into one buffer each).
  const buffers: StepBuffer[] = [
    { bytes: B * m.heads * S * S * F32, what: 'attention scores' },
    { bytes: N * I * F32, what: 'intermediate activations' },
    { bytes: trainables * F32, what: 'optimizer moments' },
  ];
  return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0), buffers };
}
