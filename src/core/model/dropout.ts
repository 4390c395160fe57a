/**
 * Seeded dropout without per-step uploads. tf.dropout draws its uniforms in JavaScript (tf.randomUniform
 * is not a device kernel) and uploads a full mask per site per step — megabytes per step on a GPU. Here,
 * one pool of keep/scale multipliers per rate is generated once from the seed and kept on the device;
 * each dropout site multiplies by a window of the pool at a random offset (offsets from the checkpointed
 * RNG). Masks are therefore identical on every backend for a given seed, and per step only ids go up.
 * Windows of different sites may overlap in the pool; over 2^21 entries and random offsets this only
 * correlates masks weakly, which dropout (a regulariser) tolerates.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';

export interface DropoutSource {
  /** x with dropout at `rate` applied (inverted: kept values scaled by 1/(1 − rate)). */
  apply<T extends tf.Tensor>(x: T, rate: number): T;
  /** Draw a seed for a child stream (activation recomputation replays a block with withSeed(seed)). */
  nextSeed(): number;
  withSeed(seed: number): DropoutSource;
}

const POOL = 1 << 21;
const PIECE = POOL >> 2;

export class DropoutPool implements DropoutSource {
  rng: Rng;
  private readonly poolSeed: number;
  private readonly pools: Map<number, tf.Tensor1D>;

  constructor(poolSeed: number, rng: Rng, shared?: Map<number, tf.Tensor1D>) {
    this.poolSeed = poolSeed;
    this.rng = rng;
    this.pools = shared ?? new Map();
  }

  private pool(rate: number): tf.Tensor1D {
    let p = this.pools.get(rate);
    if (!p) {
      const r = new Rng(`${this.poolSeed}:${rate}`);
      const d = new Float32Array(POOL);
      const keep = 1 / (1 - rate);
      for (let i = 0; i < POOL; i++) d[i] = r.next() >= rate ? keep : 0;
      p = tf.keep(tf.tensor1d(d));
      this.pools.set(rate, p);
    }
    return p;
  }

  apply<T extends tf.Tensor>(x: T, rate: number): T {
    if (!(rate > 0)) return x;
    if (rate >= 1) throw new Error(`Dropout rate must be below 1, got ${rate}.`);
    const pool = this.pool(rate);
    const n = x.size;
    const pieces: tf.Tensor1D[] = [];
    for (let done = 0; done < n; done += PIECE) {
      const len = Math.min(PIECE, n - done);
      pieces.push(tf.slice(pool, this.rng.int(POOL - len + 1), len));
    }
    const mask = pieces.length === 1 ? pieces[0] : tf.concat(pieces);
    return tf.mul(x, tf.reshape(mask, x.shape)) as T;
  }

  nextSeed(): number {
    return this.rng.nextUint32();
  }

  withSeed(seed: number): DropoutSource {
    return new DropoutPool(this.poolSeed, new Rng(seed), this.pools);
  }

  /** Releases the device pools (shared by every withSeed child). */
  dispose(): void {
    for (const p of this.pools.values()) p.dispose();
    this.pools.clear();
  }
}
