/**
 * ModelCache over the browser's Cache Storage API (available in windows and workers on secure origins).
 * Cache Storage rather than IndexedDB because it stores large binary bodies (roberta-large's 1.42 GB
 * safetensors) without structured-clone copies and counts against the same origin quota.
 * Keys become synthetic request URLs, since Cache Storage is keyed by Request.
 */
import type { ModelCache } from './modelCache';

const KEY_ORIGIN = 'https://rank-lab.invalid/model-cache/';

export class CacheStorageModelCache implements ModelCache {
  private readonly name: string;
  private cache?: Promise<Cache>;

  constructor(name = 'rank-lab-models-v1') {
    this.name = name;
  }

  static isAvailable(): boolean {
    return typeof caches !== 'undefined' && typeof caches.open === 'function';
  }

  private open(): Promise<Cache> {
    if (!CacheStorageModelCache.isAvailable())
      throw new Error('This browser offers no Cache Storage here (it needs a secure origin: https or localhost), so model files cannot be kept between visits.');
    return (this.cache ??= caches.open(this.name));
  }

  private url(key: string): string {
    return KEY_ORIGIN + encodeURIComponent(key);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const res = await (await this.open()).match(this.url(key));
    if (!res) return undefined;
    return new Uint8Array(await res.arrayBuffer());
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const c = await this.open();
    try {
      // Copy into a plain ArrayBuffer-backed view: Response accepts BufferSource of exactly these bytes.
      const body = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      await c.put(this.url(key), new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) } }));
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'QuotaExceededError')
        throw new Error(`Not enough browser storage to cache ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB of model files; delete cached models or past runs to free space. The model still works for this visit.`);
      throw e;
    }
  }

  async has(key: string): Promise<boolean> {
    return (await (await this.open()).match(this.url(key))) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.open()).delete(this.url(key));
  }

  async keys(): Promise<string[]> {
    const reqs = await (await this.open()).keys();
    return reqs.map((r) => decodeURIComponent(r.url.slice(KEY_ORIGIN.length)));
  }
}
