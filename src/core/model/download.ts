/**
 * One file over HTTP(S) with streamed progress, turned into bytes or a ModelLoadError a user can act on.
 * The body is read with a reader so progress is real (bytes received vs Content-Length), and a body that
 * ends before Content-Length is an interrupted download, never a silently short file.
 */

export type ModelLoadErrorKind =
  | 'not-found'
  | 'auth'
  | 'network'
  | 'interrupted'
  | 'http'
  | 'aborted'
  | 'missing-files'
  | 'bad-json'
  | 'bad-weights';

export class ModelLoadError extends Error {
  readonly kind: ModelLoadErrorKind;
  readonly file?: string;
  readonly status?: number;
  constructor(kind: ModelLoadErrorKind, message: string, opts: { file?: string; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ModelLoadError';
    this.kind = kind;
    this.file = opts.file;
    this.status = opts.status;
  }
}

export interface LoadProgress {
  file: string;
  loaded: number;
  total?: number;
  /** True when the bytes came from the persistent cache (no network). */
  cached?: boolean;
}

export interface DownloadContext {
  /** Human name of the model for messages, e.g. "FacebookAI/roberta-large". */
  model: string;
  /** Revision for messages ("main"); undefined for non-hub sources. */
  revision?: string;
  host: string;
  file: string;
  fetch: typeof fetch;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  onProgress?: (p: LoadProgress) => void;
  /** Called with the bytes received so far (e.g. to reject a wrong file before downloading all of it). */
  onPrefix?: (bytes: Uint8Array, loaded: number, total: number | undefined) => void;
}

const MiB = 2 ** 20;

function fmtBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${n} bytes`;
}

function abortError(ctx: DownloadContext, cause?: unknown): ModelLoadError {
  return new ModelLoadError('aborted', `Loading ${ctx.model} was cancelled (while downloading ${ctx.file}).`, { file: ctx.file, cause });
}

function statusError(ctx: DownloadContext, res: Response): ModelLoadError {
  const at = ctx.revision ? ` at revision ${ctx.revision}` : '';
  // The Hugging Face hub says why in x-error-code (RepoNotFound, EntryNotFound, RevisionNotFound, GatedRepo).
  const code = res.headers.get('x-error-code') ?? '';
  const opts = { file: ctx.file, status: res.status };
  if (code === 'GatedRepo')
    return new ModelLoadError('auth', `Model ${ctx.model} is gated: accept its conditions on ${ctx.host} and provide an access token to download it (HTTP ${res.status}).`, opts);
  if (code === 'RepoNotFound')
    return new ModelLoadError('not-found', `Model ${ctx.model} was not found on ${ctx.host} — is the id right? Private models need an access token (HTTP ${res.status}).`, opts);
  if (code === 'RevisionNotFound')
    return new ModelLoadError('not-found', `Model ${ctx.model} has no revision "${ctx.revision}" — check the branch, tag or commit (HTTP ${res.status}).`, opts);
  if (res.status === 404) {
    const hint = ctx.file === 'model.safetensors' ? ' Rank Lab needs safetensors weights (a repo with only pytorch_model.bin will not load).' : '';
    return new ModelLoadError('not-found', `Model ${ctx.model} has no file ${ctx.file}${at} — is the id right? Gated or private models need an access token.${hint}`, opts);
  }
  if (res.status === 401 || res.status === 403)
    return new ModelLoadError('auth', `Access to ${ctx.file} of model ${ctx.model} was refused (HTTP ${res.status}): the model is gated or private and needs an access token, or it does not exist.`, opts);
  if (res.status === 429)
    return new ModelLoadError('http', `${ctx.host} is rate-limiting downloads (HTTP 429) of ${ctx.model}/${ctx.file}; wait a minute and try again.`, opts);
  return new ModelLoadError('http', `Downloading ${ctx.file} of model ${ctx.model} failed: HTTP ${res.status} ${res.statusText}.`.replace(/ \./, '.'), opts);
}

/** GET one file; resolves to its complete bytes or rejects with a ModelLoadError. */
export async function downloadFile(url: string, ctx: DownloadContext): Promise<Uint8Array> {
  if (ctx.signal?.aborted) throw abortError(ctx);
  let res: Response;
  try {
    res = await ctx.fetch(url, { signal: ctx.signal, headers: ctx.headers });
  } catch (e) {
    if (ctx.signal?.aborted) throw abortError(ctx, e);
    throw new ModelLoadError(
      'network',
      `Could not reach ${ctx.host} to download ${ctx.file} of ${ctx.model}: ${(e as Error).message}. Check the connection (or that the server allows cross-origin requests).`,
      { file: ctx.file, cause: e },
    );
  }
  if (!res.ok) {
    // Drain nothing: cancel the body so the connection is released.
    await res.body?.cancel().catch(() => undefined);
    throw statusError(ctx, res);
  }
  // With a content-encoding the header counts compressed bytes while the reader yields decoded ones.
  const encoding = res.headers.get('content-encoding');
  const lenHeader = res.headers.get('content-length');
  const total = lenHeader !== null && (!encoding || encoding === 'identity') && /^\d+$/.test(lenHeader) ? Number(lenHeader) : undefined;
  ctx.onProgress?.({ file: ctx.file, loaded: 0, total });

  // Preallocate when the size is known so a 1.4 GB file is not held twice while assembling.
  let buf = new Uint8Array(total ?? 64 * 1024);
  let loaded = 0;
  let lastReport = 0;
  const reportEvery = Math.max(256 * 1024, Math.floor((total ?? 0) / 200));
  const reader = res.body?.getReader();
  if (!reader) throw new ModelLoadError('network', `The response for ${ctx.file} of ${ctx.model} has no body.`, { file: ctx.file });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.byteLength > buf.byteLength) {
        const grown = new Uint8Array(Math.max(buf.byteLength * 2, loaded + value.byteLength));
        grown.set(buf.subarray(0, loaded));
        buf = grown;
      }
      buf.set(value, loaded);
      loaded += value.byteLength;
      ctx.onPrefix?.(buf.subarray(0, loaded), loaded, total);
      if (loaded - lastReport >= reportEvery) {
        lastReport = loaded;
        ctx.onProgress?.({ file: ctx.file, loaded, total });
      }
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (e instanceof ModelLoadError) throw e;
    if (ctx.signal?.aborted) throw abortError(ctx, e);
    throw new ModelLoadError(
      'interrupted',
      `The download of ${ctx.file} of ${ctx.model} was interrupted after ${fmtBytes(loaded)}${total !== undefined ? ` of ${fmtBytes(total)}` : ''} (${(e as Error).message}); nothing was cached — try again.`,
      { file: ctx.file, cause: e },
    );
  }
  if (total !== undefined && loaded < total)
    throw new ModelLoadError(
      'interrupted',
      `The download of ${ctx.file} of ${ctx.model} was interrupted: received ${fmtBytes(loaded)} of ${fmtBytes(total)}; nothing was cached — try again.`,
      { file: ctx.file },
    );
  if (lastReport !== loaded || loaded === 0) ctx.onProgress?.({ file: ctx.file, loaded, total: total ?? loaded });
  return loaded === buf.byteLength ? buf : buf.slice(0, loaded);
}
