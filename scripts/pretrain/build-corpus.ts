/**
 * Builds the MLM pretraining corpus of the embedded tiny RoBERTa from English text installed by Debian
 * packages, tokenized with the embedded (real RoBERTa) tokenizer by the same code the app uses.
 *
 *   - WordNet 3.0 (`wordnet-base`, /usr/share/wordnet/data.*): one document per synset,
 *     "word, word: gloss; "example"". WordNet 3.0 licence (permissive, notice kept in NOTICE.md).
 *   - The Python 3.11 documentation (`python3.11-doc`, /usr/share/doc/python3.11/html/_sources/**.rst.txt):
 *     prose paragraphs, reST markup stripped, code blocks dropped. PSF licence 2.0.
 *
 * Output (in the folder given as the first argument): `train.bin` / `heldout.bin`, a stream of documents,
 * each a uint32 length followed by that many uint16 token ids (no <s>/</s>: the packer adds them), and
 * `corpus.json` with counts. Every 100th document goes to the held-out slice (used only to report
 * masked-token accuracy). Deterministic: files are read in sorted order.
 *
 * Usage: npx tsx scripts/pretrain/build-corpus.ts OUT_DIR
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizer } from '../../src/cli/nodeModel.ts';

const WORDNET = '/usr/share/wordnet';
const PYDOC = '/usr/share/doc/python3.11/html/_sources';

export function* wordnetDocs(dir = WORDNET): Generator<string> {
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const text = readFileSync(join(dir, `data.${pos}`), 'latin1');
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('  ')) continue; // licence header lines start with two spaces
      const bar = line.indexOf(' | ');
      if (bar < 0) continue;
      const f = line.slice(0, bar).split(' ');
      const count = parseInt(f[3], 16);
      const words: string[] = [];
      for (let i = 0; i < count; i++) words.push(f[4 + 2 * i].replace(/\(.*\)$/, '').replace(/_/g, ' '));
      const gloss = line.slice(bar + 3).trim();
      yield `${words.join(', ')}: ${gloss}`;
    }
  }
}

function listRst(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listRst(p));
    else if (name.endsWith('.rst.txt')) out.push(p);
  }
  return out;
}

/** Prose paragraphs of a reST file: directives, tables, titles and literal blocks dropped, roles unwrapped. */
export function rstParagraphs(src: string): string[] {
  const paras: string[] = [];
  let cur: string[] = [];
  let literalIndent = -1; // inside a literal block ("::" then an indented block)
  const flush = () => {
    const p = cur.join(' ').replace(/\s+/g, ' ').trim();
    if (p.split(' ').length >= 6 && /[a-z]/.test(p)) paras.push(p);
    cur = [];
  };
  let expectLiteral = false;
  for (const raw of src.split('\n')) {
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (literalIndent >= 0) {
      if (line === '' || indent > literalIndent) continue;
      literalIndent = -1;
    }
    if (line === '') {
      flush();
      if (expectLiteral) { literalIndent = 0; expectLiteral = false; }
      continue;
    }
    if (line.startsWith('..') || line.startsWith('>>>') || line.startsWith('...') || /^[=\-~^"*+#`:.|]{3,}$/.test(line) || line.startsWith('+') || line.startsWith('|')) {
      flush();
      if (line.startsWith('..')) literalIndent = indent; // skip the directive's indented body
      continue;
    }
    if (line.startsWith(':') && /^:[a-z-]+:/.test(line)) { flush(); continue; } // field lists
    let text = line
      .replace(/:[a-z:-]+:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`/g, '$1')
      .replace(/``([^`]*)``/g, '$1')
      .replace(/`([^`<]*?)(?:\s*<[^>]*>)?`_*/g, '$1')
      .replace(/\*\*([^*]*)\*\*/g, '$1')
      .replace(/\*([^*]*)\*/g, '$1');
    if (text.endsWith('::')) { text = text.slice(0, -1); expectLiteral = true; }
    cur.push(text);
  }
  flush();
  return paras;
}

export function* pythonDocDocs(dir = PYDOC): Generator<string> {
  for (const f of listRst(dir)) yield* rstParagraphs(readFileSync(f, 'utf8'));
}

const isMain = process.argv[1]?.endsWith('build-corpus.ts');
if (isMain) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: build-corpus.ts OUT_DIR');
  for (const p of [WORDNET, PYDOC])
    if (!existsSync(p)) throw new Error(`${p} is missing: apt-get install -y wordnet-base python3.11-doc`);
  mkdirSync(out, { recursive: true });
  const root = join(import.meta.dirname, '..', '..', 'public', 'models', 'tiny-roberta');
  const tok = readTokenizer(root);
  const parts = { train: [] as Buffer[], heldout: [] as Buffer[] };
  const counts: Record<string, { docs: number; tokens: number; heldoutDocs: number; heldoutTokens: number }> = {};
  const sources: [string, () => Generator<string>][] = [['wordnet', () => wordnetDocs()], ['python-docs', () => pythonDocDocs()]];
  let n = 0;
  for (const [name, gen] of sources) {
    const c = (counts[name] = { docs: 0, tokens: 0, heldoutDocs: 0, heldoutTokens: 0 });
    for (const doc of gen()) {
      const ids = tok.encode(doc, 100_000).slice(1, -1);
      if (ids.length < 3) continue;
      const buf = Buffer.alloc(4 + ids.length * 2);
      buf.writeUInt32LE(ids.length, 0);
      for (let i = 0; i < ids.length; i++) buf.writeUInt16LE(ids[i], 4 + 2 * i);
      const held = n++ % 100 === 99;
      (held ? parts.heldout : parts.train).push(buf);
      if (held) { c.heldoutDocs++; c.heldoutTokens += ids.length; } else { c.docs++; c.tokens += ids.length; }
      if (n % 20000 === 0) console.log(`[corpus] ${n} documents…`);
    }
  }
  writeFileSync(join(out, 'train.bin'), Buffer.concat(parts.train));
  writeFileSync(join(out, 'heldout.bin'), Buffer.concat(parts.heldout));
  writeFileSync(join(out, 'corpus.json'), JSON.stringify(counts, null, 2) + '\n');
  console.log(`[corpus] ${JSON.stringify(counts)}`);
}
