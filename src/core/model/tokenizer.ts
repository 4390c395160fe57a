/**
 * RoBERTa tokenization on top of transformers.js, built from the model's own `tokenizer.json` and
 * `tokenizer_config.json` (whatever source they came from: embedded, hub or a local folder).
 *
 * Truncation is done here rather than by transformers.js: its truncation cuts after the special tokens
 * are added and so can drop the final `</s>`; Python transformers keeps it, and so do we.
 */
// Deep import: the tokenizer module alone, without pulling ONNX runtime into the worker bundle.
import { AutoTokenizer as _Auto, PreTrainedTokenizer } from '@xenova/transformers/src/tokenizers.js';

export interface EncodedBatch {
  /** Row-major [batch, seqLen] ids, padded with padId to the longest member (dynamic padding). */
  inputIds: Int32Array;
  /** Row-major [batch, seqLen], 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  batch: number;
  seqLen: number;
  /** Unpadded length of each row (with special tokens). */
  lengths: number[];
}

export interface RobertaTokenizerInfo {
  bosId: number;
  eosId: number;
  padId: number;
  vocabSize: number;
}

export class TextTokenizer {
  readonly info: RobertaTokenizerInfo;
  private tok: PreTrainedTokenizer;

  private constructor(tok: PreTrainedTokenizer, info: RobertaTokenizerInfo) {
    this.tok = tok;
    this.info = info;
  }

  /** Build from the parsed JSON files; throws a user-readable error when they are not a usable tokenizer. */
  static fromJSON(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown> = {}): TextTokenizer {
    const tj = tokenizerJson as { model?: { vocab?: Record<string, number> }; added_tokens?: { content: string; id: number }[] };
    if (!tj || typeof tj !== 'object' || !tj.model || !tj.model.vocab)
      throw new Error('tokenizer.json is not a Hugging Face tokenizers file (no "model.vocab").');
    // Keep transformers.js from applying the stored truncation/padding; we do both ourselves.
    const json = { ...(tj as object), truncation: null, padding: null };
    const tok = new PreTrainedTokenizer(json, tokenizerConfig);
    const idOf = (s: string, fallback: number) => {
      const a = tj.added_tokens?.find((t) => t.content === s);
      return a ? a.id : tj.model!.vocab![s] ?? fallback;
    };
    const vocabSize = Math.max(Object.keys(tj.model.vocab).length, ...(tj.added_tokens ?? []).map((t) => t.id + 1));
    return new TextTokenizer(tok, { bosId: idOf('<s>', 0), eosId: idOf('</s>', 2), padId: idOf('<pad>', 1), vocabSize });
  }

  /** Ids with `<s>` … `</s>`, truncated to maxLength keeping the final `</s>`. */
  encode(text: string, maxLength = 512): number[] {
    if (maxLength < 3) throw new Error(`Max length ${maxLength} is too small: it must leave room for <s>, </s> and one token.`);
    const body: number[] = this.tok.encode(text, null, { add_special_tokens: false });
    const keep = Math.min(body.length, maxLength - 2);
    const out = new Array<number>(keep + 2);
    out[0] = this.info.bosId;
    for (let i = 0; i < keep; i++) out[i + 1] = body[i];
    out[keep + 1] = this.info.eosId;
    return out;
  }

  /** Tokenize many texts and pad to the longest (dynamic padding). */
  encodeBatch(texts: string[], maxLength = 512): EncodedBatch {
    return padBatch(texts.map((t) => this.encode(t, maxLength)), this.info.padId);
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: true });
  }
}

/** Pad pre-tokenized rows to the longest one. */
export function padBatch(rows: number[][], padId: number): EncodedBatch {
  const seqLen = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const batch = rows.length;
  const inputIds = new Int32Array(batch * seqLen).fill(padId);
  const attentionMask = new Int32Array(batch * seqLen);
  rows.forEach((r, b) => {
    inputIds.set(r, b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + r.length);
  });
  return { inputIds, attentionMask, batch, seqLen, lengths: rows.map((r) => r.length) };
}

// Re-exported so callers that need the hub-aware loader can reach it without another deep import.
export const AutoTokenizer = _Auto;
