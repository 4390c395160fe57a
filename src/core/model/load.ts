/**
 * Load a model's files — config.json, tokenizer.json, tokenizer_config.json (optional), model.safetensors —
 * from one of three places through one code path: the embedded model served by the app (`url`), the
 * Hugging Face hub (`hub`, `${host}/${id}/resolve/${revision}/${file}`), or a folder the user picked
 * (`files`). Downloads stream with progress and go to a persistent ModelCache, so a second load of the
 * same model makes no request. Every failure is a ModelLoadError saying what to do about it.
 */
import { readSafetensorsHeader, SafetensorsError } from './safetensors';
import { downloadFile, ModelLoadError, type LoadProgress } from './download';
import { modelCacheKey, type ModelCache } from './modelCache';
import { robertaTokenizerJsonFromFiles } from './bpeTokenizerJson';

export { ModelLoadError } from './download';
export type { LoadProgress, ModelLoadErrorKind } from './download';

export type ModelSource =
  | { kind: 'url'; baseUrl: string; id: string; revision?: string }
  | { kind: 'hub'; id: string; revision?: string; host?: string; token?: string }
  | { kind: 'files'; id: string; files: Map<string, Blob> };

/** A source as a run record keeps it: a local folder's files cannot be stored, only its name. */
export type StoredModelSource = Exclude<ModelSource, { kind: 'files' }> | { kind: 'files'; id: string };

export type SafetensorsHeader = ReturnType<typeof readSafetensorsHeader>;

export interface ModelFiles {
  id: string;
  config: unknown;
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown>;
  /** The bytes of model.safetensors (header already validated). */
  weights: Uint8Array;
  /** Parsed safetensors header (names, dtypes, shapes, offsets) so callers need not parse it again. */
  weightsHeader: SafetensorsHeader;
  /** Bytes per file name. */
  sizes: Record<string, number>;
  /** Files that came from the cache rather than the network. */
  fromCache: string[];
  /** Non-fatal notes for the user (e.g. the cache was full). */
  warnings: string[];
}

export interface LoadOptions {
  onProgress?(p: LoadProgress): void;
  signal?: AbortSignal;
  cache?: ModelCache;
  fetch?: typeof fetch;
}

export const HUB_HOST = 'https://huggingface.co';
export const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'model.safetensors'] as const;
export const OPTIONAL_FILES = ['tokenizer_config.json'] as const;
/** Download order: small files first, so a wrong id fails before gigabytes move. */
const ORDER = ['config.json', 'tokenizer_config.json', 'tokenizer.json', 'model.safetensors'];

const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

interface Origin {
  host: string;
  revision: string;
  url(file: string): string;
  headers?: Record<string, string>;
}

function originOf(source: Exclude<ModelSource, { kind: 'files' }>): Origin {
  if (source.kind === 'hub') {
    const id = source.id.trim();
    if (!HUB_ID.test(id) || id.includes('..'))
      throw new ModelLoadError('not-found', `"${source.id}" is not a Hugging Face model id (expected "owner/name", e.g. FacebookAI/roberta-large).`);
    const host = (source.host ?? HUB_HOST).replace(/\/+$/, '');
    const revision = source.revision?.trim() || 'main';
    return {
      host,
      revision,
      url: (file) => `${host}/${id}/resolve/${encodeURIComponent(revision)}/${file}`,
      headers: source.token ? { authorization: `Bearer ${source.token}` } : undefined,
    };
  }
  const base = source.baseUrl.endsWith('/') ? source.baseUrl : source.baseUrl + '/';
  return { host: base, revision: source.revision ?? 'embedded', url: (file) => base + file };
}

/** Cache key of one file of a network source (undefined for a picked folder, which is never cached). */
export function fileCacheKey(source: ModelSource, file: string): string | undefined {
  if (source.kind === 'files') return undefined;
  const o = originOf(source);
  return modelCacheKey({ host: o.host, id: source.id.trim(), revision: o.revision, file });
}

/** Which files of a model are already cached (for the model picker's "cached" badge). */
export async function cacheStatus(source: ModelSource, cache: ModelCache): Promise<{ file: string; cached: boolean }[]> {
  const out: { file: string; cached: boolean }[] = [];
  for (const file of ORDER) {
    const key = fileCacheKey(source, file);
    out.push({ file, cached: key !== undefined && (await cache.has(key)) });
  }
  return out;
}

function describeStart(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 48));
  if (text.startsWith('version https://git-lfs')) return ' (it is a Git LFS pointer, not the weights: the server did not resolve LFS)';
  if (/^\s*</.test(text)) return ' (it looks like an HTML page, e.g. a login or error page)';
  return '';
}

/** Throws as soon as the first bytes show the file is not safetensors or disagree with its length. */
function makeWeightsPrefixCheck(model: string) {
  let checked = false;
  return (bytes: Uint8Array, loaded: number, total: number | undefined) => {
    if (checked || loaded < 8) return;
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    if (n < 2 || n > 100 * 2 ** 20)
      throw new ModelLoadError('bad-weights', `model.safetensors of ${model} is not a safetensors file${describeStart(bytes)}.`, { file: 'model.safetensors' });
    if (loaded < 8 + n) return;
    checked = true;
    let header: Record<string, { data_offsets?: [number, number] }>;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
    } catch (e) {
      throw new ModelLoadError('bad-weights', `model.safetensors of ${model} has a corrupt header (${(e as Error).message}).`, { file: 'model.safetensors' });
    }
    let end = 0;
    for (const [k, v] of Object.entries(header)) if (k !== '__metadata__' && Array.isArray(v?.data_offsets)) end = Math.max(end, Number(v.data_offsets[1]));
    if (total !== undefined && 8 + n + end !== total)
      throw new ModelLoadError(
        'bad-weights',
        `model.safetensors of ${model}: its header describes ${8 + n + end} bytes but the server sends ${total}; the file is damaged.`,
        { file: 'model.safetensors' },
      );
  };
}

function parseJson(model: string, file: string, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelLoadError('bad-json', `${file} of ${model} is not UTF-8 text${describeStart(bytes)}.`, { file });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError('bad-json', `${file} of ${model} is not valid JSON: ${(e as Error).message}${describeStart(bytes)}.`, { file });
  }
}

function checkWeights(model: string, bytes: Uint8Array): SafetensorsHeader {
  try {
    const h = readSafetensorsHeader(bytes);
    if (h.entries.size === 0) throw new SafetensorsError('it holds no tensors');
    return h;
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    throw new ModelLoadError('bad-weights', `model.safetensors of ${model} is not usable: ${e.message}${describeStart(bytes)}`, { file: 'model.safetensors' });
  }
}

function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1];
}

/** Pick files from a user's folder by basename; the shallowest path wins when a name repeats. */
function pickFromFolder(files: Map<string, Blob>): Map<string, Blob> {
  const best = new Map<string, { depth: number; blob: Blob }>();
  for (const [path, blob] of files) {
    const name = basename(path);
    const depth = path.split(/[\\/]/).length;
    const cur = best.get(name);
    if (!cur || depth < cur.depth) best.set(name, { depth, blob });
  }
  return new Map([...best].map(([k, v]) => [k, v.blob]));
}

function noTokenizerMessage(model: string, where: string): string {
  return (
    `Model ${model} has no tokenizer.json ${where}, nor vocab.json + merges.txt to build it from. Rank Lab ` +
    `tokenizes with the model's own tokenizer files (RoBERTa repos on the hub have them).`
  );
}

export async function loadModelFiles(source: ModelSource, opts: LoadOptions = {}): Promise<ModelFiles> {
  const model = source.id.trim() || '(unnamed model)';
  const bytes = new Map<string, Uint8Array>();
  const fromCache: string[] = [];
  const warnings: string[] = [];

  // A file's bytes, or undefined when an optional file (or the tokenizer, which has a fallback) is absent.
  let getFile: (file: string, optional: boolean) => Promise<Uint8Array | undefined>;
  let where: string;

  if (source.kind === 'files') {
    const picked = pickFromFolder(source.files);
    const hasSlowTokenizer = picked.has('vocab.json') && picked.has('merges.txt');
    const missing = REQUIRED_FILES.filter((f) => !picked.has(f) && !(f === 'tokenizer.json' && hasSlowTokenizer));
    if (missing.length) {
      const extra = missing.includes('tokenizer.json') ? ' (or vocab.json + merges.txt)' : '';
      const weightsHint = missing.includes('model.safetensors') && picked.has('pytorch_model.bin') ? ' The folder has pytorch_model.bin; Rank Lab reads only safetensors weights.' : '';
      throw new ModelLoadError(
        'missing-files',
        `The chosen folder lacks ${missing.join(', ')}${extra} (it needs config.json, tokenizer.json and model.safetensors; tokenizer_config.json is optional).${weightsHint}`,
        { file: missing[0] },
      );
    }
    where = 'in the chosen folder';
    getFile = async (file) => {
      const blob = picked.get(file);
      if (!blob) return undefined;
      if (opts.signal?.aborted) throw new ModelLoadError('aborted', `Loading ${model} was cancelled.`, { file });
      opts.onProgress?.({ file, loaded: 0, total: blob.size });
      const b = new Uint8Array(await blob.arrayBuffer());
      opts.onProgress?.({ file, loaded: b.byteLength, total: blob.size });
      return b;
    };
  } else {
    const origin = originOf(source);
    const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    where = `at revision ${origin.revision}`;
    getFile = async (file, optional) => {
      const key = fileCacheKey(source, file)!;
      const cached = opts.cache ? await opts.cache.get(key) : undefined;
      // An empty entry records that an optional file does not exist, so an offline reload does not ask again.
      if (cached && cached.byteLength === 0 && optional) {
        fromCache.push(file);
        return undefined;
      }
      if (cached && cached.byteLength > 0 && (file !== 'model.safetensors' || isValidWeights(cached))) {
        fromCache.push(file);
        opts.onProgress?.({ file, loaded: cached.byteLength, total: cached.byteLength, cached: true });
        return cached;
      }
      let b: Uint8Array;
      try {
        b = await downloadFile(origin.url(file), {
          model,
          revision: source.kind === 'hub' ? origin.revision : undefined,
          host: origin.host,
          file,
          fetch: doFetch,
          signal: opts.signal,
          headers: origin.headers,
          onProgress: opts.onProgress,
          onPrefix: file === 'model.safetensors' ? makeWeightsPrefixCheck(model) : undefined,
        });
      } catch (e) {
        if (optional && e instanceof ModelLoadError && e.kind === 'not-found' && e.status === 404) {
          await opts.cache?.put(key, new Uint8Array(0)).catch(() => undefined);
          return undefined;
        }
        throw e;
      }
      // Validate before caching so a bad file is never kept.
      if (file === 'model.safetensors') checkWeights(model, b);
      else if (file !== 'merges.txt') parseJson(model, file, b);
      if (opts.cache) {
        try {
          await opts.cache.put(key, b);
        } catch (e) {
          warnings.push(`${file} was not cached: ${(e as Error).message}`);
        }
      }
      return b;
    };
  }

  for (const file of ORDER) {
    const b = await getFile(file, file === 'tokenizer.json' || (OPTIONAL_FILES as readonly string[]).includes(file));
    if (b) bytes.set(file, b);
  }

  const config = parseJson(model, 'config.json', bytes.get('config.json')!);
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new ModelLoadError('bad-json', `config.json of ${model} is not a JSON object.`, { file: 'config.json' });
  const tc = bytes.has('tokenizer_config.json') ? parseJson(model, 'tokenizer_config.json', bytes.get('tokenizer_config.json')!) : {};
  const tokenizerConfig = (typeof tc === 'object' && tc !== null && !Array.isArray(tc) ? tc : {}) as Record<string, unknown>;
  let tokenizerJson: unknown;
  if (bytes.has('tokenizer.json')) tokenizerJson = parseJson(model, 'tokenizer.json', bytes.get('tokenizer.json')!);
  else {
    // No fast-tokenizer file: build it from the slow tokenizer's vocab.json + merges.txt when present.
    const vocab = await getFile('vocab.json', true);
    const merges = vocab ? await getFile('merges.txt', true) : undefined;
    if (!vocab || !merges) throw new ModelLoadError('missing-files', noTokenizerMessage(model, where), { file: 'tokenizer.json', status: 404 });
    bytes.set('vocab.json', vocab);
    bytes.set('merges.txt', merges);
    try {
      tokenizerJson = robertaTokenizerJsonFromFiles(parseJson(model, 'vocab.json', vocab), new TextDecoder().decode(merges), {
        addPrefixSpace: tokenizerConfig.add_prefix_space === true,
      });
    } catch (e) {
      if (e instanceof ModelLoadError) throw e;
      throw new ModelLoadError('bad-json', `Model ${model} has no tokenizer.json and its vocab.json / merges.txt are not usable: ${(e as Error).message}`, { file: 'vocab.json' });
    }
    warnings.push(`${model} has no tokenizer.json; it was built from vocab.json + merges.txt (RoBERTa byte-level BPE).`);
  }
  const weights = bytes.get('model.safetensors')!;
  const weightsHeader = checkWeights(model, weights);
  const sizes: Record<string, number> = {};
  for (const [f, b] of bytes) sizes[f] = b.byteLength;
  return { id: model, config, tokenizerJson, tokenizerConfig, weights, weightsHeader, sizes, fromCache, warnings };
}

function isValidWeights(b: Uint8Array): boolean {
  try {
    readSafetensorsHeader(b);
    return true;
  } catch {
    return false;
  }
}
