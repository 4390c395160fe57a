import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheStatus, loadModelFiles, ModelLoadError, type LoadProgress } from './load';
import { MemoryModelCache } from './modelCache';
import { fitsGpuLimits, summarizeArchitecture } from './architecture';
import { TextTokenizer } from './tokenizer';

const TINY = join(__dirname, '../../../public/models/tiny-roberta');
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'];
const data = new Map(FILES.map((f) => [f, readFileSync(join(TINY, f))]));
// The slow-tokenizer files of the same vocabulary, for the fallback path.
const tj = JSON.parse(data.get('tokenizer.json')!.toString('utf8'));
const slow = new Map([
  ['vocab.json', Buffer.from(JSON.stringify(tj.model.vocab))],
  ['merges.txt', Buffer.from('#version: 0.2\n' + (tj.model.merges as string[]).join('\n') + '\n')],
]);
const ID = 'FacebookAI/roberta-tiny-test';

let server: Server;
let host: string;
const requests: string[] = [];
const count = (pred: (p: string) => boolean) => requests.filter(pred).length;

/** Serves the tiny model in the hub's URL layout, plus misbehaving repos for the error paths. */
function handle(url: string, res: import('node:http').ServerResponse) {
  const m = /^\/(.+)\/resolve\/([^/]+)\/([^/]+)$/.exec(url);
  const flat = /^\/models\/tiny-roberta\/([^/]+)$/.exec(url);
  if (flat && data.has(flat[1])) return void res.end(data.get(flat[1]));
  if (!m) return void res.writeHead(404).end('no route');
  const [, id, rev, file] = m;
  const body = data.get(file);
  if (id === 'private/model') return void res.writeHead(401, { 'x-error-code': 'RepoNotFound' }).end('Repository not found');
  if (id === 'gated/model') return void res.writeHead(403, { 'x-error-code': 'GatedRepo' }).end('gated');
  if (id === 'forbidden/model') return void res.writeHead(403).end('forbidden');
  if (rev !== 'main') return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end('no revision');
  if (id === 'missing/weights' && file === 'model.safetensors') return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
  if (id === 'missing/tokenizer' && file === 'tokenizer.json') return void res.writeHead(404).end('Entry not found');
  if (id === 'slow/tokenizer' && slow.has(file)) return void res.end(slow.get(file));
  if (id === 'slow/tokenizer' && file === 'tokenizer.json') return void res.writeHead(404).end('Entry not found');
  if (id === 'bad/config' && file === 'config.json') return void res.end('{"hidden_size": 128,');
  if (id === 'lfs/pointer' && file === 'model.safetensors') return void res.end('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 29247120\n');
  if (id === 'cut/short' && file === 'model.safetensors') {
    res.writeHead(200, { 'content-length': String(body!.byteLength) });
    res.write(body!.subarray(0, 1_000_000), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  if (!body || (id === 'no/tokconfig' && file === 'tokenizer_config.json')) return void res.writeHead(404).end('Entry not found');
  res.writeHead(200, { 'content-length': String(body.byteLength) });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url!);
    handle(req.url!, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function loadErr(p: Promise<unknown>): Promise<ModelLoadError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelLoadError);
    return e as ModelLoadError;
  }
  throw new Error('expected the load to fail');
}

describe('loadModelFiles from a hub-layout server', () => {
  it('downloads with progress, validates, then loads the second time from the cache with no request', async () => {
    const cache = new MemoryModelCache();
    const events: LoadProgress[] = [];
    const before = requests.length;
    const a = await loadModelFiles({ kind: 'hub', id: ID, host }, { cache, onProgress: (p) => events.push(p) });
    expect(requests.length - before).toBe(4);
    expect(requests.slice(before)).toContain(`/${ID}/resolve/main/model.safetensors`);
    expect(a.weights.byteLength).toBe(data.get('model.safetensors')!.byteLength);
    expect(Buffer.from(a.weights).equals(data.get('model.safetensors')!)).toBe(true);
    expect((a.config as { hidden_size: number }).hidden_size).toBe(128);
    expect(a.tokenizerConfig.tokenizer_class).toBe('RobertaTokenizer');
    expect(a.sizes['model.safetensors']).toBe(data.get('model.safetensors')!.byteLength);
    expect(a.fromCache).toEqual([]);
    // Progress: monotone per file, starting at 0 and ending at the content length.
    const w = events.filter((e) => e.file === 'model.safetensors');
    expect(w[0].loaded).toBe(0);
    expect(w.at(-1)).toEqual({ file: 'model.safetensors', loaded: a.sizes['model.safetensors'], total: a.sizes['model.safetensors'] });
    expect(w.length).toBeGreaterThan(10);
    for (let i = 1; i < w.length; i++) expect(w[i].loaded).toBeGreaterThanOrEqual(w[i - 1].loaded);
    expect(cache.puts).toBe(4);
    expect((await cacheStatus({ kind: 'hub', id: ID, host }, cache)).every((s) => s.cached)).toBe(true);

    const mid = requests.length;
    const ev2: LoadProgress[] = [];
    const b = await loadModelFiles({ kind: 'hub', id: ID, host }, { cache, onProgress: (p) => ev2.push(p) });
    expect(requests.length).toBe(mid);
    expect(b.fromCache.sort()).toEqual([...FILES].sort());
    expect(ev2.every((e) => e.cached)).toBe(true);
    expect(Buffer.from(b.weights).equals(data.get('model.safetensors')!)).toBe(true);
    // The files are usable: the tokenizer builds and the summary reads the header.
    expect(TextTokenizer.fromJSON(b.tokenizerJson, b.tokenizerConfig).encode('hello world').length).toBeGreaterThan(2);
    // A different revision is a different cache entry.
    expect((await cacheStatus({ kind: 'hub', id: ID, host, revision: 'v2' }, cache)).some((s) => s.cached)).toBe(false);
  });

  it('loads the embedded model by base URL through the same path', async () => {
    const cache = new MemoryModelCache();
    const f = await loadModelFiles({ kind: 'url', baseUrl: `${host}/models/tiny-roberta`, id: 'rank-lab/tiny-roberta' }, { cache });
    expect(f.sizes['config.json']).toBe(data.get('config.json')!.byteLength);
    expect(cache.puts).toBe(4);
  });

  it('treats tokenizer_config.json as optional, remembering its absence for offline reloads', async () => {
    const cache = new MemoryModelCache();
    const f = await loadModelFiles({ kind: 'hub', id: 'no/tokconfig', host }, { cache });
    expect(f.tokenizerConfig).toEqual({});
    expect(f.sizes['tokenizer_config.json']).toBeUndefined();
    const n = requests.length;
    const g = await loadModelFiles({ kind: 'hub', id: 'no/tokconfig', host }, { cache });
    expect(requests.length).toBe(n);
    expect(g.tokenizerConfig).toEqual({});
  });

  it('explains a missing weights file (404) and caches nothing from the failure', async () => {
    const cache = new MemoryModelCache();
    const e = await loadErr(loadModelFiles({ kind: 'hub', id: 'missing/weights', host }, { cache }));
    expect(e.kind).toBe('not-found');
    expect(e.status).toBe(404);
    expect(e.message).toMatch(/Model missing\/weights has no file model\.safetensors at revision main — is the id right\?/);
    expect(e.message).toMatch(/token/);
    expect(await cache.has(`${host}|missing/weights|main|model.safetensors`)).toBe(false);
  });

  it('explains a missing tokenizer.json', async () => {
    const e = await loadErr(loadModelFiles({ kind: 'hub', id: 'missing/tokenizer', host }));
    expect(e.kind).toBe('missing-files');
    expect(e.message).toMatch(/no tokenizer\.json at revision main, nor vocab\.json \+ merges\.txt/);
  });

  it('builds tokenizer.json from vocab.json + merges.txt when a repo lacks it, tokenizing identically', async () => {
    const cache = new MemoryModelCache();
    const f = await loadModelFiles({ kind: 'hub', id: 'slow/tokenizer', host }, { cache });
    expect(f.warnings[0]).toMatch(/no tokenizer\.json; it was built from vocab\.json \+ merges\.txt/);
    expect(Object.keys(f.sizes).sort()).toEqual(['config.json', 'merges.txt', 'model.safetensors', 'tokenizer_config.json', 'vocab.json']);
    const built = TextTokenizer.fromJSON(f.tokenizerJson, f.tokenizerConfig);
    const real = TextTokenizer.fromJSON(tj, f.tokenizerConfig);
    for (const text of ['Hello world!', '  $AAPL up 3.5% <mask> today 🚀', 'naïve café, déjà vu', 'Shares   fell\nsharply'])
      expect(built.encode(text), text).toEqual(real.encode(text));
    expect(built.info).toEqual(real.info);
    // The second load is served from the cache, fallback files included.
    const n = requests.length;
    await loadModelFiles({ kind: 'hub', id: 'slow/tokenizer', host }, { cache });
    expect(requests.slice(n)).toEqual([]);
  });

  it('explains 401 / 403 (private, gated, forbidden) and a wrong revision', async () => {
    expect((await loadErr(loadModelFiles({ kind: 'hub', id: 'private/model', host }))).message).toMatch(/not found on .* is the id right\? Private models need an access token \(HTTP 401\)/);
    const g = await loadErr(loadModelFiles({ kind: 'hub', id: 'gated/model', host }));
    expect(g.kind).toBe('auth');
    expect(g.message).toMatch(/gated/);
    expect((await loadErr(loadModelFiles({ kind: 'hub', id: 'forbidden/model', host }))).message).toMatch(/refused \(HTTP 403\).*token/);
    expect((await loadErr(loadModelFiles({ kind: 'hub', id: ID, host, revision: 'nope' }))).message).toMatch(/no revision "nope"/);
  });

  it('reports an interrupted download clearly and caches nothing for that file', async () => {
    const cache = new MemoryModelCache();
    const e = await loadErr(loadModelFiles({ kind: 'hub', id: 'cut/short', host }, { cache }));
    expect(e.kind).toBe('interrupted');
    expect(e.file).toBe('model.safetensors');
    const mib = (statSync(join(TINY, 'model.safetensors')).size / 2 ** 20).toFixed(1).replace('.', '\\.');
    expect(e.message).toMatch(new RegExp(`download of model\\.safetensors of cut/short was interrupted .*of ${mib} MiB.*nothing was cached`));
    expect(await cache.has(`${host}|cut/short|main|model.safetensors`)).toBe(false);
    expect(await cache.has(`${host}|cut/short|main|config.json`)).toBe(true);
  });

  it('treats a body that ends cleanly but short of Content-Length as interrupted', async () => {
    const cache = new MemoryModelCache();
    const shortFetch = (async (url: string) => {
      const file = String(url).split('/').pop()!;
      const body = data.get(file)!;
      const sent = file === 'tokenizer.json' ? body.subarray(0, 1000) : body;
      return new Response(sent, { headers: { 'content-length': String(body.byteLength) } });
    }) as typeof fetch;
    const e = await loadErr(loadModelFiles({ kind: 'hub', id: ID, host: 'https://hub.example' }, { cache, fetch: shortFetch }));
    expect(e.kind).toBe('interrupted');
    expect(e.message).toMatch(/tokenizer\.json .*interrupted: received 1000 bytes of 2\.0 MiB; nothing was cached/);
    expect(await cache.has(`https://hub.example|${ID}|main|tokenizer.json`)).toBe(false);
  });

  it('rejects a network failure, bad JSON, a Git LFS pointer and a bad id with clear messages', async () => {
    const n = await loadErr(loadModelFiles({ kind: 'hub', id: ID, host: 'http://127.0.0.1:1' }));
    expect(n.kind).toBe('network');
    expect(n.message).toMatch(/Could not reach http:\/\/127\.0\.0\.1:1 to download config\.json/);
    const j = await loadErr(loadModelFiles({ kind: 'hub', id: 'bad/config', host }));
    expect(j.kind).toBe('bad-json');
    expect(j.message).toMatch(/config\.json of bad\/config is not valid JSON/);
    const l = await loadErr(loadModelFiles({ kind: 'hub', id: 'lfs/pointer', host }));
    expect(l.kind).toBe('bad-weights');
    expect(l.message).toMatch(/Git LFS pointer/);
    expect((await loadErr(loadModelFiles({ kind: 'hub', id: 'not a model id!', host }))).message).toMatch(/not a Hugging Face model id/);
  });

  it('can be cancelled mid-download', async () => {
    const ac = new AbortController();
    const e = await loadErr(
      loadModelFiles({ kind: 'hub', id: ID, host }, { signal: ac.signal, onProgress: (p) => p.file === 'model.safetensors' && p.loaded > 0 && ac.abort() }),
    );
    expect(e.kind).toBe('aborted');
  });
});

describe('loadModelFiles from a picked folder', () => {
  const blobs = (names: string[], prefix = 'my-model/') => new Map(names.map((f) => [prefix + f, new Blob([data.get(f)!])]));

  it('matches files by basename', async () => {
    const f = await loadModelFiles({ kind: 'files', id: 'local', files: blobs(FILES) });
    expect(f.weights.byteLength).toBe(data.get('model.safetensors')!.byteLength);
    expect(f.tokenizerConfig.bos_token).toBe('<s>');
  });

  it('accepts vocab.json + merges.txt instead of tokenizer.json', async () => {
    const files = blobs(['config.json', 'model.safetensors']);
    for (const [k, v] of slow) files.set('my-model/' + k, new Blob([v]));
    const f = await loadModelFiles({ kind: 'files', id: 'local', files });
    expect(TextTokenizer.fromJSON(f.tokenizerJson).encode('Good quarter')).toEqual(TextTokenizer.fromJSON(tj).encode('Good quarter'));
  });

  it('lists every missing file', async () => {
    const e = await loadErr(loadModelFiles({ kind: 'files', id: 'local', files: blobs(['tokenizer_config.json']) }));
    expect(e.kind).toBe('missing-files');
    expect(e.message).toMatch(/lacks config\.json, tokenizer\.json, model\.safetensors/);
  });

  it('rejects truncated weights with the safetensors reason', async () => {
    const files = blobs(['config.json', 'tokenizer.json']);
    files.set('my-model/model.safetensors', new Blob([data.get('model.safetensors')!.subarray(0, 5000)]));
    const e = await loadErr(loadModelFiles({ kind: 'files', id: 'local', files }));
    expect(e.kind).toBe('bad-weights');
    expect(e.message).toMatch(/truncated/);
  });
});

describe('architecture summary and GPU fit', () => {
  it('summarises the tiny model', async () => {
    const f = await loadModelFiles({ kind: 'files', id: 'local', files: new Map(FILES.map((n) => [n, new Blob([data.get(n)!])])) });
    const s = summarizeArchitecture(f.config, f.weightsHeader);
    expect([s.layers, s.hidden, s.heads, s.intermediate, s.vocab]).toEqual([4, 128, 4, 512, 50265]);
    const H = 128, I = 512, V = 50265, P = 514;
    const perLayer = 4 * (H * H + H) + 2 * (2 * H) + (H * I + I) + (I * H + H);
    const expected = V * H + P * H + H + 2 * H + 4 * perLayer + H * H + H;
    expect(s.params).toBe(expected);
    expect(s.bytesFp32).toBe(expected * 4);
    expect(s.largestTensorName).toBe('roberta.embeddings.word_embeddings.weight');
    expect(s.largestTensorBytes).toBe(V * H * 4);
    expect(fitsGpuLimits(s, { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 })).toEqual({ ok: true, reasons: [], handled: [] });
  });

  it('flags roberta-large shapes: the word embedding is handled, a too-small limit is a reason', () => {
    const H = 1024, I = 4096, V = 50265;
    const entries = new Map<string, { dtype: string; shape: number[] }>([
      ['roberta.embeddings.word_embeddings.weight', { dtype: 'F32', shape: [V, H] }],
      ['roberta.embeddings.position_embeddings.weight', { dtype: 'F32', shape: [514, H] }],
    ]);
    for (let i = 0; i < 24; i++) {
      entries.set(`roberta.encoder.layer.${i}.intermediate.dense.weight`, { dtype: 'F32', shape: [I, H] });
      entries.set(`roberta.encoder.layer.${i}.attention.self.query.weight`, { dtype: 'F32', shape: [H, H] });
    }
    entries.set('lm_head.dense.weight', { dtype: 'F32', shape: [H, H] });
    const cfg = { num_hidden_layers: 24, hidden_size: H, num_attention_heads: 16, intermediate_size: I, vocab_size: V, max_position_embeddings: 514 };
    const s = summarizeArchitecture(cfg, { entries });
    expect(s.params).toBe(V * H + 514 * H + 24 * (I * H + H * H));
    const fit = fitsGpuLimits(s, { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 });
    expect(fit.ok).toBe(true);
    expect(fit.handled[0]).toMatch(/word_embeddings.*196\.3 MiB.*split/);
    const small = fitsGpuLimits(s, { maxBufferSize: 8 * 2 ** 20, maxStorageBufferBindingSize: 8 * 2 ** 20 });
    expect(small.ok).toBe(false);
    expect(small.reasons).toHaveLength(24);
    expect(small.reasons[0]).toMatch(/intermediate\.dense\.weight needs 16\.0 MiB/);
    expect(() => summarizeArchitecture({ hidden_size: 3 }, { entries })).toThrow(/num_hidden_layers/);
  });
});
