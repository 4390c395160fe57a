/**
 * What a model is and whether it fits the GPU, from config.json and the safetensors header alone
 * (no tensor bytes decoded), for the model picker's "architecture / what fits" panel.
 */
import type { ModelSize } from './shape';

/** The model's size (layers, hidden, intermediate) and what else the Model page shows. */
export interface ArchitectureSummary extends ModelSize {
  modelType: string;
  heads: number;
  vocab: number;
  maxPositions: number;
  /** Parameters of the encoder as stored (embeddings, layers, pooler); a masked-LM head is not counted. */
  params: number;
  /** Size of those parameters once converted to fp32, as the engine holds them. */
  bytesFp32: number;
  /** dtypes found in the file, e.g. { F32: 199 }. */
  dtypes: Record<string, number>;
  largestTensorName: string;
  largestTensorBytes: number;
  /** Every tensor's fp32 size, for fitsGpuLimits. */
  tensorBytes: { name: string; bytes: number }[];
}

export interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface FitReport {
  ok: boolean;
  /** Why it does not fit (empty when ok). */
  reasons: string[];
  /** Things that would not fit naively but the engine handles (e.g. the split word embedding). */
  handled: string[];
}

interface HeaderLike {
  entries: Map<string, { dtype: string; shape: number[] }>;
}

function num(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new Error(`config.json has no valid "${key}" (got ${JSON.stringify(v)}); is this a RoBERTa/BERT-style encoder config?`);
  return v;
}

const MiB = 2 ** 20;
const fmt = (b: number) => `${(b / MiB).toFixed(1)} MiB`;

export function summarizeArchitecture(config: unknown, weightsHeader: HeaderLike): ArchitectureSummary {
  if (typeof config !== 'object' || config === null) throw new Error('config.json is not a JSON object.');
  const cfg = config as Record<string, unknown>;
  let params = 0;
  const dtypes: Record<string, number> = {};
  const tensorBytes: { name: string; bytes: number }[] = [];
  let largestTensorName = '';
  let largestTensorBytes = 0;
  for (const [name, e] of weightsHeader.entries) {
    if (name.startsWith('lm_head.')) continue;
    const count = e.shape.reduce((a, d) => a * d, 1);
    params += count;
    dtypes[e.dtype] = (dtypes[e.dtype] ?? 0) + 1;
    tensorBytes.push({ name, bytes: count * 4 });
    if (count * 4 > largestTensorBytes) {
      largestTensorBytes = count * 4;
      largestTensorName = name;
    }
  }
  return {
    modelType: typeof cfg.model_type === 'string' ? cfg.model_type : 'unknown',
    layers: num(cfg, 'num_hidden_layers'),
    hidden: num(cfg, 'hidden_size'),
    heads: num(cfg, 'num_attention_heads'),
    intermediate: num(cfg, 'intermediate_size'),
    vocab: num(cfg, 'vocab_size'),
    maxPositions: num(cfg, 'max_position_embeddings'),
    params,
    bytesFp32: params * 4,
    dtypes,
    largestTensorName,
    largestTensorBytes,
    tensorBytes,
  };
}

/** The word-embedding table is frozen and looked up (gathered) on the CPU side or split, so it needs no single binding. */
export function isWordEmbedding(name: string): boolean {
  return name.endsWith('embeddings.word_embeddings.weight');
}

export function fitsGpuLimits(summary: ArchitectureSummary, limits: GpuLimits): FitReport {
  const reasons: string[] = [];
  const handled: string[] = [];
  const cap = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  for (const t of summary.tensorBytes) {
    if (t.bytes <= cap) continue;
    if (isWordEmbedding(t.name))
      handled.push(`${t.name} is ${fmt(t.bytes)}, above the GPU's ${fmt(cap)} buffer/binding limit: it is split (looked up on the CPU side), so this is fine.`);
    else
      reasons.push(`${t.name} needs ${fmt(t.bytes)} in one GPU buffer but this GPU allows ${fmt(cap)} (maxBufferSize ${fmt(limits.maxBufferSize)}, maxStorageBufferBindingSize ${fmt(limits.maxStorageBufferBindingSize)}).`);
  }
  return { ok: reasons.length === 0, reasons, handled };
}
