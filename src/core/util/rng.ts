/**
 * Seeded pseudo-random numbers. Every random choice in Rank Lab (data split, LoRA init, dropout masks,
 * search proposals) derives from one user-visible seed through this generator, so a run is reproducible.
 *
 * sfc32 (Small Fast Counter): 128-bit state, good statistical quality, and the state is four uint32s,
 * which makes checkpointing the RNG mid-trial trivial (`state()` / `Rng.fromState`).
 */
export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | string) {
    // Expand the seed with splitmix32 so nearby seeds give unrelated streams.
    let h = typeof seed === 'string' ? hashString(seed) : seed >>> 0;
    const next = () => {
      h = (h + 0x9e3779b9) >>> 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  static fromState(s: RngState): Rng {
    const r = new Rng(0);
    [r.a, r.b, r.c, r.d] = s;
    return r;
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  /** A child generator with an independent stream, derived deterministically from this one and a label. */
  fork(label: string): Rng {
    return new Rng((this.nextUint32() ^ hashString(label)) >>> 0);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal via Box–Muller. */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle, in place; returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  }

  pick<T>(arr: readonly T[]): T {
    return arr[this.int(arr.length)];
  }
}

/**
 * The root of a run's randomness: made once from the run's seed where the seed enters (a trial, a search, a
 * split) and handed down; every consumer takes its own stream by name (`root.fork('init')`, …).
 *
 * A named stream depends only on the seed and the name — not on which streams were taken before it, nor on
 * whether — so a new consumer moves no other's numbers. The derivation is `new Rng(seed).fork(name)` (the
 * seed's first draw xor the name's hash): the one the data split, the calibration sample and the search
 * engine always used, so their pinned results hold.
 */
export class RootRng {
  readonly seed: number | string;

  constructor(seed: number | string) {
    if (typeof seed !== 'string' && !Number.isFinite(seed)) throw new Error(`A seed must be a finite number, got ${seed}.`);
    this.seed = seed;
  }

  /** The stream named `name`. */
  fork(name: string): Rng {
    return new Rng(this.seed).fork(name);
  }

  /**
   * A whole-number seed for a named sub-task that takes a number rather than a stream (a search hook's
   * request, which is cached and replayed by its seed): the FNV-1a hash of `name:seed`, as the search
   * strategies always derived it.
   */
  seedFor(name: string): number {
    return hashString(`${name}:${this.seed}`);
  }
}

/** FNV-1a 32-bit hash: turns a string label into a seed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
