/** Shared loaders for engine tests (Node only): the embedded tiny model, its tokenizer and the demo CSV. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors } from '../src/core/model/safetensors';
import { parseRobertaConfig, type RobertaConfig } from '../src/core/model/config';
import { buildModel, type BuildOptions, type RobertaModel } from '../src/core/model/roberta';
import { TextTokenizer } from '../src/core/model/tokenizer';
import type { NamedTensor } from '../src/core/model/safetensors';

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

export async function tinyModel(opts?: BuildOptions): Promise<RobertaModel> {
  await tf.setBackend('cpu');
  const { config, tensors } = tinyWeights();
  return buildModel(config, tensors, opts);
}

export function tinyTokenizer(): TextTokenizer {
  return TextTokenizer.fromJSON(
    JSON.parse(readRoot('public/models/tiny-roberta/tokenizer.json').toString('utf8')),
    JSON.parse(readRoot('public/models/tiny-roberta/tokenizer_config.json').toString('utf8')),
  );
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
