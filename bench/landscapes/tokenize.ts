/**
 * Tokenizes the demo data once with the app's own tokenizer (so the PyTorch landscape trainer sees exactly
 * the ids the browser would) and writes them as JSON for bench/make_landscape.py:
 *   npx tsx bench/landscapes/tokenize.ts [--max-length 64] [--out .cache/landscapes/semeval-tokens.json]
 * Rows: { ids: number[] (<s> … </s>, truncated keeping </s>), score, cls } with cls the app's derived class.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { deriveClasses, DEFAULT_THRESHOLDS } from '../../src/core/data/labels';
import { TextTokenizer } from '../../src/core/model/tokenizer';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const arg = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : d;
};
const maxLength = Number(arg('max-length', '64'));
const out = arg('out', join(ROOT, '.cache/landscapes/semeval-tokens.json'));
const dataFile = 'public/data/semeval2017-task5-microblogs.csv';
const modelDir = join(ROOT, 'public/models/tiny-roberta');

const tok = TextTokenizer.fromJSON(
  JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'), 'utf8')),
  JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'), 'utf8')),
);
const parsed = Papa.parse<{ text: string; score: string }>(readFileSync(join(ROOT, dataFile), 'utf8'), { header: true, skipEmptyLines: 'greedy' });
const rows = parsed.data.filter((r) => r.text !== undefined && Number.isFinite(Number(r.score)));
const scores = rows.map((r) => Number(r.score));
const classes = deriveClasses(scores, DEFAULT_THRESHOLDS);
const data = rows.map((r, i) => ({ ids: tok.encode(r.text, maxLength), score: scores[i], cls: classes[i] }));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ source: dataFile, maxLength, padId: tok.info.padId, thresholds: DEFAULT_THRESHOLDS, rows: data }));
console.log(`${data.length} rows → ${out}`);
