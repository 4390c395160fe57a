/**
 * Shared loaders for engine tests (Node only): the embedded tiny model, the random-weight control with the same
 * configuration, its tokenizer and the demo CSV.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors } from '../src/core/model/safetensors';
import { parseRobertaConfig, type RobertaConfig } from '../src/core/model/config';
import { buildModel, type BuildOptions, type RobertaModel } from '../src/core/model/roberta';
import type { TextTokenizer } from '../src/core/model/tokenizer';
import type { NamedTensor } from '../src/core/model/safetensors';
import { randomTinyWeights as randomControlWeights, readTokenizer } from '../src/cli/nodeModel';

const root = new URL('../', import.meta.url);
export const readRoot = (p: string) => readFileSync(new URL(p, root));

let cache: { config: RobertaConfig; tensors: Map<string, NamedTensor> } | undefined;
export function tinyWeights(): { config: RobertaConfig; tensors: Map<string, NamedTensor> } {
  cache ??= {
    config: parseRobertaConfig(JSON.parse(readRoot('public/models/tiny-roberta/config.json').toString('utf8'))),
    tensors: parseSafetensors(readRoot('public/models/tiny-roberta/model.safetensors')).tensors,
  };
  return cache;
}

/** The embedded model on the current backend (`cpu` unless `backend` is given; wasm needs its package imported). */
export function tinyModel(opts?: BuildOptions & { backend?: string }): Promise<RobertaModel> {
  return modelOn(tinyWeights(), opts);
}

async function modelOn(weights: { config: RobertaConfig; tensors: Map<string, NamedTensor> }, opts?: BuildOptions & { backend?: string }): Promise<RobertaModel> {
  const { backend = 'cpu', ...build } = opts ?? {};
  await tf.setBackend(backend);
  return buildModel(weights.config, weights.tensors, build);
}

let randomCache: { config: RobertaConfig; tensors: Map<string, NamedTensor> } | undefined;
/** The control: the embedded model's configuration with random weights (what it held before pretraining). */
export function randomTinyWeights(): { config: RobertaConfig; tensors: Map<string, NamedTensor> } {
  randomCache ??= randomControlWeights();
  return randomCache;
}

/** The random-weight control on the current backend (`cpu` unless `backend` is given). */
export function randomTinyModel(opts?: BuildOptions & { backend?: string }): Promise<RobertaModel> {
  return modelOn(randomTinyWeights(), opts);
}

export function tinyTokenizer(): TextTokenizer {
  return readTokenizer();
}

/** The demo CSV (`text,score`), parsed simply: the score is after the last comma, quotes removed. */
export function semevalRows(n: number): { text: string; score: number }[] {
  const lines = readRoot('public/data/semeval2017-task5-microblogs.csv').toString('utf8').split(/\r?\n/).slice(1).filter((l) => l.trim());
  return lines.slice(0, n).map((l) => {
    const k = l.lastIndexOf(',');
    let text = l.slice(0, k);
    if (text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/""/g, '"');
    return { text, score: Number(l.slice(k + 1)) };
  });
}
