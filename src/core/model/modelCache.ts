/**
 * Persistent store for downloaded model files, so a second load of the same model needs no network.
 * Keys name host, model id, revision and file (see `modelCacheKey`); values are the raw file bytes.
 * The browser implementation (Cache Storage) is in ./cacheStorage; tests use `MemoryModelCache`.
 */

export interface ModelCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  has(key: string): Promise<boolean>;
  /** Optional housekeeping for the UI's cache panel. */
  delete?(key: string): Promise<boolean>;
  keys?(): Promise<string[]>;
}

/** Where a file of a model comes from, reduced to what identifies its bytes. */
export interface CacheKeyParts {
  /** Origin of the files: a hub host ('https://huggingface.co') or the base URL of an embedded model. */
  host: string;
  id: string;
  revision: string;
  file: string;
}

export function modelCacheKey(p: CacheKeyParts): string {
  return `${p.host.replace(/\/+$/, '')}|${p.id}|${p.revision}|${p.file}`;
}

export class MemoryModelCache implements ModelCache {
  private readonly map = new Map<string, Uint8Array>();
  /** Counters so tests can prove a hit. */
  hits = 0;
  puts = 0;

  async get(key: string): Promise<Uint8Array | undefined> {
    const v = this.map.get(key);
    if (v) this.hits++;
    return v;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.puts++;
    this.map.set(key, bytes);
  }
  async has(key: string): Promise<boolean> {
    return this.map.has(key);
  }
  async delete(key: string): Promise<boolean> {
    return this.map.delete(key);
  }
  async keys(): Promise<string[]> {
    return [...this.map.keys()];
  }
}
