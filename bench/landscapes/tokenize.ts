/**
 * Tokenizes the demo data once with the app's own tokenizer (so the PyTorch landscape trainer sees exactly
 * the ids the browser would) and writes them as JSON for bench/make_landscape.py:
 *   npx tsx bench/landscapes/tokenize.ts [--max-length 64] [--out .cache/landscapes/semeval-tokens.json] [--csv FILE]
 * Rows: { ids: number[] (<s> … </s>, truncated keeping </s>), score, cls } with cls the app's derived class.
 *
 * --data wordnet-pos: instead of the demo data, a task this model can learn (the demo scores it cannot, so
 * their tables are noise): WordNet 3.0 definitions (gloss without words and examples, from Debian's
 * wordnet-base) of 870 seeded noun and 870 verb synsets, score −1 for a noun and +1 for a verb.
 * --csv FILE also writes the rows as a text,score CSV (how tests/fixtures/data/wordnet-pos.csv was made).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { deriveClasses } from '../../src/core/data/labels';
import { DERIVED_THRESHOLDS } from '../../src/core/vocabulary';
import { readTokenizer } from '../../src/cli/nodeModel';
import { Rng } from '../../src/core/util/rng';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const arg = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : d;
};
const maxLength = Number(arg('max-length', '64'));
const out = arg('out', join(ROOT, '.cache/landscapes/semeval-tokens.json'));
const task = arg('data', 'semeval');
const dataFile = task === 'wordnet-pos' ? '/usr/share/wordnet/data.{noun,verb}' : 'public/data/semeval2017-task5-microblogs.csv';
const modelDir = join(ROOT, 'public/models/tiny-roberta');

const tok = readTokenizer(modelDir);
/** Definitions of one part of speech: the gloss up to its first quoted example, the synset's words left out. */
function definitions(pos: 'noun' | 'verb'): string[] {
  const out: string[] = [];
  for (const line of readFileSync(`/usr/share/wordnet/data.${pos}`, 'latin1').split('\n')) {
    if (!line || line.startsWith('  ')) continue; // licence header
    const bar = line.indexOf(' | ');
    if (bar < 0) continue;
    const def = line.slice(bar + 3).split(/;\s*"/)[0].trim();
    if (def.split(' ').length >= 3) out.push(def);
  }
  return out;
}

function loadRows(): { text: string; score: string }[] {
  if (task === 'wordnet-pos') {
    const rng = new Rng('wordnet-pos');
    const take = (pos: 'noun' | 'verb', score: string) => rng.shuffle(definitions(pos)).slice(0, 870).map((text) => ({ text, score }));
    return rng.shuffle([...take('noun', '-1'), ...take('verb', '1')]);
  }
  if (task !== 'semeval') throw new Error(`unknown --data ${task} (semeval, wordnet-pos)`);
  const parsed = Papa.parse<{ text: string; score: string }>(readFileSync(join(ROOT, dataFile), 'utf8'), { header: true, skipEmptyLines: 'greedy' });
  return parsed.data.filter((r) => r.text !== undefined && Number.isFinite(Number(r.score)));
}
const rows = loadRows();
const csv = arg('csv', '');
if (csv) writeFileSync(csv, Papa.unparse(rows, { columns: ['text', 'score'], newline: '\n' }) + '\n');
const scores = rows.map((r) => Number(r.score));
const classes = deriveClasses(scores, DERIVED_THRESHOLDS);
const data = rows.map((r, i) => ({ ids: tok.encode(r.text, maxLength), score: scores[i], cls: classes[i] }));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ source: dataFile, maxLength, padId: tok.info.padId, thresholds: DERIVED_THRESHOLDS, rows: data }));
console.log(`${data.length} rows → ${out}`);
