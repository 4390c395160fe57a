/**
 * The subset of a Hugging Face RoBERTa `config.json` the engine needs, validated field by field so a
 * wrong or foreign config fails with a message naming the field rather than with NaNs later.
 */
export interface RobertaConfig {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  padId: number;
  hiddenDropout: number;
  attentionDropout: number;
  /** `_name_or_path` when present (used as the adapter's base model id). */
  name: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function num(o: Record<string, unknown>, key: string, opts: { int?: boolean; min?: number; max?: number; def?: number } = {}): number {
  const v = o[key] ?? opts.def;
  if (v === undefined) throw new ConfigError(`config.json: field "${key}" is missing.`);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`config.json: field "${key}" must be a number, got ${JSON.stringify(v)}.`);
  if (opts.int && !Number.isInteger(v)) throw new ConfigError(`config.json: field "${key}" must be an integer, got ${v}.`);
  if (opts.min !== undefined && v < opts.min) throw new ConfigError(`config.json: field "${key}" must be ≥ ${opts.min}, got ${v}.`);
  if (opts.max !== undefined && v > opts.max) throw new ConfigError(`config.json: field "${key}" must be ≤ ${opts.max}, got ${v}.`);
  return v;
}

export function parseRobertaConfig(json: unknown): RobertaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('config.json is not a JSON object.');
  const o = json as Record<string, unknown>;
  const modelType = o.model_type ?? 'roberta';
  if (typeof modelType !== 'string') throw new ConfigError('config.json: field "model_type" must be a string.');
  // XLM-R and CamemBERT share RobertaModel's architecture exactly.
  if (!['roberta', 'xlm-roberta', 'camembert'].includes(modelType))
    throw new ConfigError(`config.json: field "model_type" is "${modelType}"; only RoBERTa-architecture models (roberta, xlm-roberta, camembert) are supported.`);
  const act = o.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new ConfigError(`config.json: field "hidden_act" is ${JSON.stringify(act)}; only "gelu" (exact, erf-based) is supported.`);
  const pet = o.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute') throw new ConfigError(`config.json: field "position_embedding_type" is ${JSON.stringify(pet)}; only "absolute" is supported.`);
  const hiddenSize = num(o, 'hidden_size', { int: true, min: 1 });
  const numHeads = num(o, 'num_attention_heads', { int: true, min: 1 });
  if (hiddenSize % numHeads !== 0)
    throw new ConfigError(`config.json: field "hidden_size" (${hiddenSize}) is not divisible by "num_attention_heads" (${numHeads}).`);
  const padId = num(o, 'pad_token_id', { int: true, min: 0, def: 1 });
  const vocabSize = num(o, 'vocab_size', { int: true, min: 1 });
  if (padId >= vocabSize) throw new ConfigError(`config.json: field "pad_token_id" (${padId}) is outside the vocabulary (vocab_size ${vocabSize}).`);
  const maxPositions = num(o, 'max_position_embeddings', { int: true, min: padId + 2 });
  return {
    modelType,
    vocabSize,
    hiddenSize,
    numLayers: num(o, 'num_hidden_layers', { int: true, min: 1 }),
    numHeads,
    intermediateSize: num(o, 'intermediate_size', { int: true, min: 1 }),
    maxPositions,
    typeVocabSize: num(o, 'type_vocab_size', { int: true, min: 1, def: 1 }),
    layerNormEps: num(o, 'layer_norm_eps', { min: 0, def: 1e-12 }),
    padId,
    hiddenDropout: num(o, 'hidden_dropout_prob', { min: 0, max: 0.99, def: 0.1 }),
    attentionDropout: num(o, 'attention_probs_dropout_prob', { min: 0, max: 0.99, def: 0.1 }),
    name: typeof o._name_or_path === 'string' ? o._name_or_path : 'roberta',
  };
}

/** Longest sequence the position table allows (RoBERTa reserves padId + 1 rows). */
export function maxSequenceLength(c: RobertaConfig): number {
  return c.maxPositions - c.padId - 1;
}
