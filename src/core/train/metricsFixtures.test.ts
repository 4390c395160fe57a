/**
 * The committed metric fixtures must be what scripts/sklearn_metrics_fixtures.py (scikit-learn itself)
 * produces today: the script is re-run into a temporary folder and every file must equal the committed one
 * byte for byte, and no case may be missing or extra. Nothing tracked is rewritten.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const COMMITTED = join(ROOT, 'tests', 'fixtures', 'metrics');

describe('scripts/sklearn_metrics_fixtures.py', () => {
  it('regenerates tests/fixtures/metrics/*.json exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rank-lab-metrics-'));
    try {
      execFileSync('/usr/bin/python3', [join(ROOT, 'scripts', 'sklearn_metrics_fixtures.py'), '--out', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      const fresh = readdirSync(dir).sort();
      expect(fresh, 'cases the script writes vs the committed ones').toEqual(readdirSync(COMMITTED).sort());
      const differ = fresh.filter((f) => readFileSync(join(dir, f), 'utf8') !== readFileSync(join(COMMITTED, f), 'utf8'));
      expect(differ, 'fixtures that differ from a fresh run (regenerate with the script)').toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
