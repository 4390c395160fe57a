import { afterEach, describe, expect, it } from 'vitest';
import { CacheStorageModelCache } from './cacheStorage';

/** A minimal in-memory stand-in for the browser's CacheStorage (Node has none). */
class FakeCache {
  store = new Map<string, Response>();
  quota = Infinity;
  async match(url: string) {
    return this.store.get(url)?.clone();
  }
  async put(url: string, res: Response) {
    const body = new Uint8Array(await res.clone().arrayBuffer());
    if (body.byteLength > this.quota) throw new DOMException('quota', 'QuotaExceededError');
    this.store.set(url, res);
  }
  async delete(url: string) {
    return this.store.delete(url);
  }
  async keys() {
    return [...this.store.keys()].map((u) => new Request(u));
  }
}
const g = globalThis as { caches?: unknown };

afterEach(() => delete g.caches);

describe('CacheStorageModelCache', () => {
  it('round-trips bytes under keys with any characters, and lists and deletes them', async () => {
    const fake = new FakeCache();
    g.caches = { open: async () => fake };
    expect(CacheStorageModelCache.isAvailable()).toBe(true);
    const c = new CacheStorageModelCache();
    const key = 'https://huggingface.co|FacebookAI/roberta-large|refs/pr/1|model.safetensors';
    const big = new Uint8Array(1000).map((_, i) => i % 251);
    await c.put(key, big.subarray(10, 900));
    expect(await c.has(key)).toBe(true);
    expect(await c.get(key)).toEqual(big.subarray(10, 900));
    expect(await c.get('other')).toBeUndefined();
    expect(await c.keys()).toEqual([key]);
    expect(await c.delete(key)).toBe(true);
    expect(await c.has(key)).toBe(false);
  });

  it('turns a quota error into advice, and says when Cache Storage is missing', async () => {
    const fake = new FakeCache();
    fake.quota = 10;
    g.caches = { open: async () => fake };
    await expect(new CacheStorageModelCache().put('k', new Uint8Array(2 ** 20))).rejects.toThrow(/Not enough browser storage to cache 1\.0 MiB.*delete cached models/);
    delete g.caches;
    expect(CacheStorageModelCache.isAvailable()).toBe(false);
    await expect(new CacheStorageModelCache().get('k')).rejects.toThrow(/no Cache Storage/);
  });
});
