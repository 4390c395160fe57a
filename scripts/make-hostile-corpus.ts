/**
 * Writes tests/fixtures/hostile/: small hostile inputs (data files, share links, PEFT zips, run files,
 * safetensors) and manifest.json with the kind and the message fragment each must get. Deterministic: run
 * `npx tsx scripts/make-hostile-corpus.ts` and commit the output. Large payloads (zip bombs, huge headers)
 * are declared in headers, never shipped.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync, zipSync, unzipSync } from 'fflate';
import { toBase64Url, fromBase64Url } from '../src/core/share/base64url';
import { writeSafetensors, type NamedTensor } from '../src/core/model/safetensors';

const DIR = 'tests/fixtures/hostile';
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });

export interface Entry {
  file: string;
  kind: 'csv' | 'tsv' | 'jsonl' | 'share-link' | 'peft-zip' | 'run-file' | 'trials-json' | 'ray-results' | 'safetensors';
  /** refused: no result, nothing stored. text: accepted, the fragment kept verbatim as text (never interpreted). */
  outcome: 'refused' | 'text';
  message: string;
  note: string;
  /** Read options the user chose (Data page "Encoding"). */
  read?: { encoding?: string };
}
const entries: Entry[] = [];
const enc = (s: string) => new TextEncoder().encode(s);
function put(file: string, data: string | Uint8Array, e: Omit<Entry, 'file'>) {
  writeFileSync(join(DIR, file), typeof data === 'string' ? enc(data) : data);
  entries.push({ file, ...e });
}
const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';

// ------------------------------------------------------------------------------------------ data files
put('empty.csv', '', { kind: 'csv', outcome: 'refused', message: 'The file is empty', note: 'empty file' });
put('header-only.csv', 'text,score\n', { kind: 'csv', outcome: 'refused', message: 'at least 2 are needed', note: 'only a header' });
put('nul-bytes.csv', 'text,label\n' + rows(10, (i) => `row ${i},${i === 2 ? 'neg\u0000\u0000' : ['pos', 'neg'][i % 2]}`), { kind: 'csv', outcome: 'refused', message: 'U+0000', note: 'NUL bytes in a label' });
{
  const text = 'text,score\nbonjour été,0.5\nnein danke,-0.25\n';
  put('utf16le-bom.csv', new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]), { kind: 'csv', outcome: 'refused', message: 'UTF-16 LE', note: 'UTF-16 with BOM read as UTF-8', read: { encoding: 'utf-8' } });
}
put('unterminated-quote.csv', 'text,score\n"fine row",0.5\n"never closed,0.1\nnext row,0.2\n', { kind: 'csv', outcome: 'refused', message: 'is never closed', note: 'unterminated quote' });
put('10000-columns.csv', Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',') + '\n' + Array(10_000).fill('1').join(',') + '\n', { kind: 'csv', outcome: 'refused', message: 'and 9,988 more', note: '10,000 columns' });
put('201-classes.csv', 'text,label\n' + rows(804, (i) => `row ${i} text,class${i % 201}`), { kind: 'csv', outcome: 'refused', message: '201 distinct labels', note: 'more than 200 classes' });
put('bidi-label.csv', 'text,label\n' + rows(10, (i) => `row ${i},${i === 3 ? 'pos\u202Egen' : ['pos', 'neg'][i % 2]}`), { kind: 'csv', outcome: 'refused', message: 'U+202E', note: 'label with U+202E' });
put('long-label.csv', 'text,label\n' + rows(10, (i) => `row ${i},${i === 3 ? 'x'.repeat(65) : ['pos', 'neg'][i % 2]}`), { kind: 'csv', outcome: 'refused', message: 'at most 64', note: 'label longer than 64 characters' });
put('formula-injection.csv', 'text,score\n' + rows(10, (i) => (i === 2 ? '"=HYPERLINK(""http://evil.example/"",""click"")",0.5' : `row ${i},0.${i}`)), { kind: 'csv', outcome: 'text', message: '=HYPERLINK("http://evil.example/","click")', note: 'formula cell kept as text' });
put('script-tags.csv', 'text,score\n' + rows(10, (i) => (i === 2 ? '<script>alert(1)</script><img src=x onerror=alert(2)>,0.5' : `row ${i},0.${i}`)), { kind: 'csv', outcome: 'text', message: '<script>alert(1)</script><img src=x onerror=alert(2)>', note: 'markup kept as text' });
put('non-numeric-scores.csv', 'text,score\n' + rows(10, (i) => `row ${i},${i === 4 ? 'lots' : `0.${i}`}`), { kind: 'csv', outcome: 'refused', message: 'The score "lots" is not a number', note: 'non-numeric score' });
put('nan-infinity-scores.csv', 'text,score\n' + rows(10, (i) => `row ${i},${i === 4 ? 'NaN' : i === 5 ? 'Infinity' : `0.${i}`}`), { kind: 'csv', outcome: 'refused', message: 'The score "Infinity" is not a number', note: 'NaN / Infinity scores' });
put('duplicate-headers.csv', 'text,text,score\n' + rows(10, (i) => `a ${i},b ${i},0.${i}`), { kind: 'csv', outcome: 'refused', message: 'appears twice in the header', note: 'duplicate header names' });
put('mixed-delimiters.csv', 'text;score\n' + rows(10, (i) => (i % 2 ? `row ${i};0.${i}` : `row ${i},0.${i}`)), { kind: 'csv', outcome: 'refused', message: 'a field holding a semicolon must be quoted', note: 'mixed delimiters' });
put('tsv-bad-score.tsv', 'text\tscore\n' + rows(10, (i) => `row ${i}\t${i === 1 ? '1e999' : `0.${i}`}`), { kind: 'tsv', outcome: 'refused', message: 'The score "1e999" is not a number', note: 'TSV with an overflowing score' });
put('invalid-line.jsonl', rows(10, (i) => (i === 3 ? '{"text": "broken", "score": ' : JSON.stringify({ text: `row ${i}`, score: i / 10 }))), { kind: 'jsonl', outcome: 'refused', message: 'not valid JSON', note: 'invalid JSON line' });
put('wrong-types.jsonl', rows(10, (i) => JSON.stringify(i === 3 ? { text: { nested: true }, score: [1] } : { text: `row ${i}`, score: i / 10 })), { kind: 'jsonl', outcome: 'refused', message: 'holds an object; expected text or a number', note: 'wrong value types' });

// ------------------------------------------------------------------------------------------ share links
const good = JSON.parse(readFileSync('tests/fixtures/share/v1-link.json', 'utf8')).link as string;
const wire = () => JSON.parse(new TextDecoder().decode(inflateSync(fromBase64Url(good.slice(3)) as Uint8Array)));
const link = (json: string) => '#s=' + toBase64Url(deflateSync(enc(json), { level: 9 }));
put('link-truncated.txt', good.slice(0, Math.floor(good.length / 2)), { kind: 'share-link', outcome: 'refused', message: 'cut off', note: 'truncated link' });
put('link-bad-base64.txt', '#s=this is not base64!!*~', { kind: 'share-link', outcome: 'refused', message: 'damaged', note: 'bad base64' });
put('link-inflate-bomb.txt', link(' '.repeat(3_000_000)), { kind: 'share-link', outcome: 'refused', message: 'decompression bomb', note: 'oversized: 3 MB inflated' });
put('link-wrong-version.txt', link(JSON.stringify({ ...wire(), v: 99 })), { kind: 'share-link', outcome: 'refused', message: 'format version 99', note: 'wrong version' });
put('link-proto-key.txt', link(JSON.stringify(wire()).replace('{', '{"__proto__":{"polluted":1},')), { kind: 'share-link', outcome: 'refused', message: 'forbidden key "__proto__"', note: 'hostile key' });
{
  const w = wire();
  w.title = 'invoice\u202Egnp.exe<script>alert(1)</script>';
  put('link-hostile-name.txt', link(JSON.stringify(w)), { kind: 'share-link', outcome: 'refused', message: 'title: contains control or bidi-override characters', note: 'title with U+202E and a script tag' });
}

// ------------------------------------------------------------------------------------------ PEFT zips
const TINY = { hidden: 128, intermediate: 512, layers: 4 };
const f32 = (shape: number[], v = 0.01): NamedTensor => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
const P = 'base_model.model.';
function adapterTensors(extra: Record<string, NamedTensor> = {}, heads = true): Record<string, NamedTensor> {
  const t: Record<string, NamedTensor> = {};
  for (const m of ['query', 'value']) {
    t[`${P}roberta.encoder.layer.0.attention.self.${m}.lora_A.weight`] = f32([2, TINY.hidden]);
    t[`${P}roberta.encoder.layer.0.attention.self.${m}.lora_B.weight`] = f32([TINY.hidden, 2]);
  }
  if (heads) {
    t[`${P}regression.dense.weight`] = f32([TINY.hidden, TINY.hidden]);
    t[`${P}regression.dense.bias`] = f32([TINY.hidden]);
    t[`${P}regression.out.weight`] = f32([1, TINY.hidden]);
    t[`${P}regression.out.bias`] = f32([1]);
  }
  return { ...t, ...extra };
}
const cfg = (o: Record<string, unknown> = {}) => enc(JSON.stringify({ peft_type: 'LORA', base_model_name_or_path: 'rank-lab/tiny-roberta', r: 2, lora_alpha: 4, target_modules: ['query', 'value'], bias: 'none', ...o }));
const zip = (files: Record<string, Uint8Array>) => zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, { level: 6 }]])), { mtime: new Date('2024-01-01T00:00:00Z') });
const adapterZip = (o: { cfg?: Record<string, unknown>; tensors?: Record<string, NamedTensor>; heads?: boolean } = {}) =>
  zip({ 'adapter_config.json': cfg(o.cfg), 'adapter_model.safetensors': writeSafetensors(adapterTensors(o.tensors, o.heads ?? true)) });
{
  // Declared-size bomb: a real small zip whose central directory claims 1.9 GB unpacked for the weights.
  const z = adapterZip();
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  for (let i = z.length - 22; i >= 0; i--) {
    if (dv.getUint32(i, true) !== 0x02014b50) continue; // central directory header
    const nameLen = dv.getUint16(i + 28, true);
    const name = new TextDecoder().decode(z.subarray(i + 46, i + 46 + nameLen));
    if (name === 'adapter_model.safetensors') dv.setUint32(i + 24, 1_900_000_000, true);
  }
  put('peft-size-bomb.zip', z, { kind: 'peft-zip', outcome: 'refused', message: 'declares 1,900,000,000 bytes unpacked', note: 'declared-size zip bomb' });
}
{
  const files = unzipSync(adapterZip());
  // fflate's zipSync keys are unique, so build the duplicate by zipping under a folder as well.
  put('peft-duplicate-entries.zip', zip({ ...files, 'copy/adapter_config.json': files['adapter_config.json'] }), { kind: 'peft-zip', outcome: 'refused', message: 'holds adapter_config.json twice', note: 'duplicate entries' });
}
put('peft-regex-rank-pattern.zip', adapterZip({ cfg: { rank_pattern: { '(.*.*.*.*.*.*)*z': 2 } } }), { kind: 'peft-zip', outcome: 'refused', message: 'is a regular expression', note: 'regex rank_pattern key' });
put('peft-alpha-1e308.zip', adapterZip({ cfg: { lora_alpha: 1e308 } }), { kind: 'peft-zip', outcome: 'refused', message: 'lora_alpha 1e+308 is outside', note: 'lora_alpha 1e308' });
put('peft-proto-tensor.zip', adapterZip({ tensors: { [`${P}__proto__`]: f32([1]), [`${P}constructor`]: f32([1]) } }), { kind: 'peft-zip', outcome: 'refused', message: 'cannot place: "base_model.model.__proto__"', note: 'tensors named __proto__ / constructor' });
put('peft-no-head.zip', adapterZip({ heads: false }), { kind: 'peft-zip', outcome: 'refused', message: 'has no task head', note: 'no head' });
put('peft-not-zip.zip', enc('<!doctype html><html>not a zip</html>'), { kind: 'peft-zip', outcome: 'refused', message: 'not a zip archive', note: 'HTML saved as .zip' });

// ------------------------------------------------------------------------------------------ safetensors
{
  const st = writeSafetensors({ w: f32([4]) });
  const lying = st.slice();
  new DataView(lying.buffer).setBigUint64(0, 1_000_000n, true);
  put('lying-header-length.safetensors', lying, { kind: 'safetensors', outcome: 'refused', message: 'the file is truncated', note: 'header length past the end' });
  const huge = st.slice();
  new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
  put('huge-header-length.safetensors', huge, { kind: 'safetensors', outcome: 'refused', message: 'implausible', note: 'header length 2^60' });
  const h = JSON.stringify({ w: { dtype: 'F32', shape: [1_000_000], data_offsets: [0, 4_000_000] } });
  const hb = enc(h);
  const lyingOffsets = new Uint8Array(8 + hb.length + 16);
  new DataView(lyingOffsets.buffer).setBigUint64(0, BigInt(hb.length), true);
  lyingOffsets.set(hb, 8);
  put('lying-offsets.safetensors', lyingOffsets, { kind: 'safetensors', outcome: 'refused', message: 'the file is truncated', note: 'tensor offsets past the end' });
}

// ------------------------------------------------------------------------------------------ run files / trials
put('run-wrong-format.json', JSON.stringify({ format: 'something-else', version: 1 }), { kind: 'run-file', outcome: 'refused', message: 'not a Rank Lab run file', note: 'run file of another format' });
put('run-wrong-version.json', JSON.stringify({ format: 'rank-lab-run', version: 7 }), { kind: 'run-file', outcome: 'refused', message: 'version 7', note: 'run file of a future version' });
put('run-proto-key.json', '{"format":"rank-lab-run","version":1,"__proto__":{"x":1}}', { kind: 'run-file', outcome: 'refused', message: 'forbidden key', note: 'prototype key' });
put('run-truncated.json', '{"format":"rank-lab-run","version":1,"results":{"v":', { kind: 'run-file', outcome: 'refused', message: 'This run file cannot be imported: it is not valid JSON', note: 'truncated run file' });
put('trials-export.json', JSON.stringify([{ config: '8@8', ranks: [8, 8], params: {}, metrics: { acc: 0.5 }, status: 'done' }]), { kind: 'trials-json', outcome: 'refused', message: '"Trials JSON" export', note: 'trials JSON picked as a run file' });
put('ray-no-header.jsonl', '{"kind":"trial","config":"8@8"}\n{"kind":"trial","config":"0@8"}\n', { kind: 'ray-results', outcome: 'refused', message: 'the first line must be the header', note: 'Ray Tune results without header' });

writeFileSync(join(DIR, 'manifest.json'), JSON.stringify(entries, null, 1) + '\n');
const total = readdirSync(DIR).reduce((a, f) => a + readFileSync(join(DIR, f)).length, 0);
console.log(`${entries.length} entries, ${total} bytes`);
