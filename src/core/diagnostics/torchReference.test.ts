/**
 * The committed reference fixture must be what scripts/torch_reference.py produces today: the script is
 * re-run into a temporary folder (float64, one thread) and its output must equal the committed file in every
 * key, string and integer, and in every float to 1e-12 relative. Not byte for byte: OpenBLAS picks its
 * kernels by CPU, so another machine's float64 sums can differ in the last bit (seen: 4e-16), while any
 * change to what the script computes moves the figures by far more. Nothing tracked is rewritten.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const COMMITTED = join(ROOT, 'tests', 'fixtures', 'reference', 'tiny-lora.json');
const REL_TOL = 1e-12;

/** Paths where `a` and `b` differ (floats compared to REL_TOL, everything else exactly). */
export function fixtureDiff(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b)) return a === b ? [] : [path];
    return Math.abs(a - b) <= REL_TOL * Math.max(Math.abs(a), Math.abs(b)) ? [] : [path];
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${path} (length ${a.length} vs ${b.length})`];
    return a.flatMap((x, i) => fixtureDiff(x, b[i], `${path}[${i}]`));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      k in a && k in b ? fixtureDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k) : [`${path ? `${path}.` : ''}${k} (only in one)`],
    );
  }
  return a === b ? [] : [path];
}

describe('scripts/torch_reference.py', () => {
  it('tells a last-bit difference from a real one', () => {
    expect(fixtureDiff({ x: [0.1 + 0.2, 3] }, { x: [0.3, 3] })).toEqual([]);
    expect(fixtureDiff({ x: [0.3 * (1 + 1e-9), 3] }, { x: [0.3, 3] })).toEqual(['x[0]']);
    expect(fixtureDiff({ x: [0.3, 4] }, { x: [0.3, 3] })).toEqual(['x[1]']);
    expect(fixtureDiff({ x: 'a', y: 1 }, { x: 'a' })).toEqual(['y (only in one)']);
  });

  it('regenerates tests/fixtures/reference/tiny-lora.json (to the last bits of float64)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rank-lab-reference-'));
    try {
      execFileSync('/usr/bin/python3', [join(ROOT, 'scripts', 'torch_reference.py'), '--out', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      const fresh = JSON.parse(readFileSync(join(dir, 'tiny-lora.json'), 'utf8'));
      const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
      const diff = fixtureDiff(fresh, committed);
      expect(diff.slice(0, 20), `${diff.length} values the script now writes differently (regenerate with npm run reference)`).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
