import { describe, expect, it } from 'vitest';
import { hashString, RootRng, Rng } from './rng';

const draws = (r: Rng, n = 4) => Array.from({ length: n }, () => r.nextUint32());

describe('RootRng', () => {
  it('gives each name its own stream, whatever was forked before', () => {
    const a = new RootRng(42);
    const b = new RootRng(42);
    draws(b.fork('split'));
    draws(b.fork('calibration'));
    expect(draws(b.fork('search:random'))).toEqual(draws(a.fork('search:random')));
    expect(draws(a.fork('split'))).not.toEqual(draws(a.fork('calibration')));
    expect(draws(new RootRng(43).fork('split'))).not.toEqual(draws(a.fork('split')));
  });

  it('keeps the derivation pinned results rest on: new Rng(seed).fork(name), and hashString(`name:seed`) for seeds', () => {
    expect(draws(new RootRng(7).fork('data-split'))).toEqual(draws(new Rng(7).fork('data-split')));
    expect(new RootRng(7).seedFor('svd')).toBe(hashString('svd:7'));
    // The numbers themselves, so that a change of Rng, its fork or the hash shows here first.
    expect(new RootRng(7).fork('data-split').nextUint32()).toBe(342565271);
    expect(new RootRng(7).seedFor('svd')).toBe(61451379);
  });

  it('refuses a seed that is not a number', () => {
    expect(() => new RootRng(Number.NaN)).toThrow(/seed must be a finite number, got NaN/);
  });
});
