/**
 * Writes a random-weight tiny RoBERTa (src/core/model/randomInit.ts) in the Hugging Face layout into a
 * folder you name: config.json, model.safetensors, and the embedded model's tokenizer files, so the folder
 * loads like any model (e.g. `npm run finetune -- --model FOLDER`). Deterministic per seed.
 * It refuses public/models/tiny-roberta: the embedded model's committed weights are MLM-pretrained
 * (scripts/pretrain-tiny.py), and this must not overwrite them.
 *
 * Usage: npx tsx scripts/build-tiny-model.ts OUT_FOLDER [--seed N] [--force]
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildTinyWeights, RANDOM_TINY_SEED, TINY_CONFIG } from '../src/core/model/randomInit.ts';
import { writeSafetensors } from '../src/core/model/safetensors.ts';

const EMBEDDED = resolve(import.meta.dirname, '..', 'public', 'models', 'tiny-roberta');
const USAGE = 'usage: npx tsx scripts/build-tiny-model.ts OUT_FOLDER [--seed N] [--force]';

function fail(msg: string): never {
  console.error(`error: ${msg}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let out: string | undefined;
let seed = RANDOM_TINY_SEED;
let force = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--help') {
    console.log(USAGE);
    process.exit(0);
  } else if (a === '--force') force = true;
  else if (a === '--seed') {
    const v = args[++i];
    if (!v || !/^\d+$/.test(v)) fail(`--seed must be a whole number ≥ 0, got '${v ?? ''}'`);
    seed = Number(v);
  } else if (a.startsWith('--')) fail(`unknown option ${a} (${USAGE})`);
  else if (out === undefined) out = a;
  else fail(`unexpected argument '${a}' (${USAGE})`);
}
if (!out) fail(`give the folder to write into (${USAGE})`);
const dir = resolve(out);
const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
if (real(dir) === real(EMBEDDED)) fail('refusing to write random weights over the embedded pretrained model in public/models/tiny-roberta');
mkdirSync(dir, { recursive: true });
const weights = join(dir, 'model.safetensors');
if (existsSync(weights) && !force) fail(`${weights} exists; pass --force to overwrite it`);
writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...TINY_CONFIG, _name_or_path: `rank-lab/tiny-roberta-random-${seed}` }, null, 2) + '\n');
writeFileSync(weights, writeSafetensors(buildTinyWeights(seed), { format: 'pt' }));
for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(EMBEDDED, f), join(dir, f));
const sha = createHash('sha256').update(readFileSync(weights)).digest('hex');
console.log(`random tiny RoBERTa (seed ${seed}) written to ${dir} (model.safetensors sha256 ${sha})`);
