/**
 * The committed reference fixture must be what scripts/torch_reference.py produces today: the script is
 * re-run into a temporary folder (float64, one thread: deterministic) and the output must equal the
 * committed file byte for byte. Nothing tracked is rewritten.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const COMMITTED = join(ROOT, 'tests', 'fixtures', 'reference', 'tiny-lora.json');

describe('scripts/torch_reference.py', () => {
  it('regenerates tests/fixtures/reference/tiny-lora.json exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rank-lab-reference-'));
    try {
      execFileSync('/usr/bin/python3', [join(ROOT, 'scripts', 'torch_reference.py'), '--out', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
      const fresh = readFileSync(join(dir, 'tiny-lora.json'), 'utf8');
      const committed = readFileSync(COMMITTED, 'utf8');
      if (fresh !== committed) {
        // Name what differs before failing on the whole file.
        const a = JSON.parse(fresh), b = JSON.parse(committed);
        const diff: string[] = [];
        if (a.description !== b.description) diff.push('description');
        const n = Math.max(a.cases?.length ?? 0, b.cases?.length ?? 0);
        for (let i = 0; i < n; i++)
          for (const k of new Set([...Object.keys(a.cases?.[i] ?? {}), ...Object.keys(b.cases?.[i] ?? {})]))
            if (JSON.stringify(a.cases?.[i]?.[k]) !== JSON.stringify(b.cases?.[i]?.[k])) diff.push(`cases[${i}].${k}`);
        expect(diff, 'fields the script now writes differently (regenerate with npm run reference)').toEqual([]);
      }
      expect(fresh === committed, 'fixture bytes differ from a fresh run of the script').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
