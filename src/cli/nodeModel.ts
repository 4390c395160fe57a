/**
 * Loading a model in Node for the command-line tools and the learning test: the embedded model or a model
 * folder goes through the app's own folder loader (`openModel` with a `files` source: same checks and
 * messages as picking a folder in the browser); `random` is the random-weight control — the embedded
 * model's configuration and tokenizer with seeded random weights, i.e. what the lab shipped before its
 * model was pretrained, kept to show what "learns nothing" looks like.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildModel, type RobertaModel } from '../core/model/roberta';
import { parseRobertaConfig, type RobertaConfig } from '../core/model/config';
import type { NamedTensor } from '../core/model/safetensors';
import { TextTokenizer } from '../core/model/tokenizer';
import { buildTinyWeights, RANDOM_TINY_SEED, TINY_CONFIG } from '../core/model/randomInit';
import { openModel } from '../core/run/modelSession';
import { UsageError } from './args';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const EMBEDDED_DIR = join(ROOT, 'public', 'models', 'tiny-roberta');

/** The random-weight control's configuration and weights (the embedded model's configuration, seeded random weights). */
export function randomTinyWeights(): { config: RobertaConfig; tensors: Map<string, NamedTensor> } {
  return { config: parseRobertaConfig({ ...TINY_CONFIG, _name_or_path: 'rank-lab/tiny-roberta-random' }), tensors: buildTinyWeights() };
}

export interface LoadedModel {
  id: string;
  model: RobertaModel;
  tokenizer: TextTokenizer;
}

/** The tokenizer of a model folder (tokenizer.json + tokenizer_config.json), for tools, scripts and tests. */
export function readTokenizer(dir: string = EMBEDDED_DIR): TextTokenizer {
  return TextTokenizer.fromJSON(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
}

/** `embedded` | `random` | a folder with config.json, tokenizer.json and model.safetensors. */
export async function loadNodeModel(spec: string): Promise<LoadedModel> {
  if (spec === 'random') {
    const { config, tensors } = randomTinyWeights();
    return { id: `random (tiny config, seed ${RANDOM_TINY_SEED})`, model: buildModel(config, tensors), tokenizer: readTokenizer() };
  }
  const dir = spec === 'embedded' ? EMBEDDED_DIR : resolve(spec);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--model must be embedded, random or a model folder; '${spec}' is not a folder`);
  const files = new Map<string, Blob>();
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isFile()) files.set(name, new Blob([readFileSync(p)]));
  }
  const session = await openModel({ kind: 'files', id: spec === 'embedded' ? 'rank-lab/tiny-roberta' : basename(dir), files });
  return { id: session.info.id, model: session.model, tokenizer: session.tokenizer };
}
