/**
 * What the embedded model is, in words for the Model page: its size from the loaded config and weights, how
 * it was pretrained (fixed text, plus the figures of `pretraining.json` next to the weights when present),
 * and what it is for. Pure: the page fetches the JSON and passes whatever it got (or nothing).
 */
import type { ArchitectureSummary } from './architecture';

/** The figures of `public/models/tiny-roberta/pretraining.json` the page shows (written by scripts/pretrain-tiny.py). */
export interface PretrainingFacts {
  steps?: number;
  seed?: number;
  tokensPerBatch?: number;
  /** Masked-token accuracy on the held-out slice before and after pretraining (0–1). */
  heldoutBefore?: number;
  heldoutAfter?: number;
  /** Optional extras, shown when the file has them. */
  corpusTokens?: number;
  seconds?: number;
  threads?: number;
}

const num = (v: unknown, ok: (x: number) => boolean = () => true): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && ok(v) ? v : undefined;
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The figures of a parsed `pretraining.json`; unknown or malformed fields are left out, never thrown on. */
export function parsePretraining(json: unknown): PretrainingFacts | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const j = obj(json);
  const held = obj(j.heldout);
  const acc = (v: unknown) => num(obj(v).accuracy, (x) => x >= 0 && x <= 1);
  const facts: PretrainingFacts = {
    steps: num(j.steps, (x) => x >= 0),
    seed: num(j.seed),
    tokensPerBatch: num(j.tokensPerBatch, (x) => x > 0),
    heldoutBefore: acc(held.before),
    heldoutAfter: acc(held.after),
    corpusTokens: num(j.corpusTokens, (x) => x > 0),
    seconds: num(j.seconds, (x) => x > 0),
    threads: num(j.threads, (x) => x > 0),
  };
  for (const k of Object.keys(facts) as (keyof PretrainingFacts)[]) if (facts[k] === undefined) delete facts[k];
  return Object.keys(facts).length ? facts : undefined;
}

/** Tokens in the pretraining corpus (WordNet 2,633,488 + Python docs 727,563, the `corpus.json` counts of
 *  scripts/pretrain/build-corpus.ts), used when `pretraining.json` does not say. */
export const EMBEDDED_CORPUS_TOKENS = 3_361_051;

const millions = (n: number) => `${(n / 1e6).toFixed(1)} M`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} minutes`;
  return `${(s / 3600).toFixed(1)} hours`;
}

export interface EmbeddedModelText {
  /** "Embedded tiny RoBERTa: 4 layers, hidden 128, ~7.4 M parameters (6.4 M of them the 50,265-token embedding table)." */
  what: string;
  /** How it was pretrained. */
  training: string;
  /** What it is for. */
  purpose: string;
}

/** The Model page's description of the embedded model, from its loaded architecture and pretraining facts. */
export function describeEmbeddedModel(
  summary: Pick<ArchitectureSummary, 'layers' | 'hidden' | 'params' | 'vocab'>,
  facts?: PretrainingFacts,
): EmbeddedModelText {
  const embedding = summary.vocab * summary.hidden;
  const what =
    `Embedded tiny RoBERTa: ${summary.layers} layers, hidden ${summary.hidden}, ~${millions(summary.params)} parameters ` +
    `(${millions(embedding)} of them the ${int(summary.vocab)}-token embedding table).`;
  let training = 'Pretrained by masked-language modelling on WordNet glosses and the Python documentation';
  const extras: string[] = [];
  extras.push(`about ${millions(facts?.corpusTokens ?? EMBEDDED_CORPUS_TOKENS)} tokens`);
  if (facts?.steps !== undefined) extras.push(`${int(facts.steps)} steps${facts.tokensPerBatch ? ` of up to ${int(facts.tokensPerBatch)} tokens` : ''}`);
  if (facts?.seconds) extras.push(`${duration(facts.seconds)}${facts.threads ? ` on ${facts.threads} CPU thread${facts.threads === 1 ? '' : 's'}` : ''}`);
  if (facts?.seed !== undefined) extras.push(`seed ${facts.seed}`);
  if (extras.length) training += ` (${extras.join(', ')})`;
  training += '.';
  if (facts?.heldoutAfter !== undefined)
    training += ` Masked-token accuracy on held-out text: ${facts.heldoutBefore !== undefined ? `${pct(facts.heldoutBefore)} before, ` : ''}${pct(facts.heldoutAfter)} after pretraining.`;
  const purpose = 'It is for trying the lab offline; real work wants a hub model such as FacebookAI/roberta-base.';
  return { what, training, purpose };
}
