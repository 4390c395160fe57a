/**
 * The import arrows ARCHITECTURE.md draws, checked on the source: a file that imports against them fails
 * here with its name and the import, before the layering drifts.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = join(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|svelte)$/.test(name) ? [p] : [];
  });
}

/** Every `import … from '…'` / `export … from '…'` of a file, resolved to a path relative to the repository. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    out.push(spec.startsWith('.') ? relative(ROOT, resolve(dirname(file), spec)) : spec);
  }
  return out;
}

/** `file → import` for every import of the files under `dir` that `bad` flags. */
function offending(dir: string, bad: (spec: string, file: string) => boolean): string[] {
  return files(join(ROOT, dir)).flatMap((f) => imports(f).filter((s) => bad(s, f)).map((s) => `${relative(ROOT, f)} → ${s}`));
}

describe('layering', () => {
  it('nothing outside src/app imports from it', () => {
    const bad = (s: string) => s.startsWith('src/app/');
    expect([...offending('workers', bad), ...offending('src/core', bad), ...offending('src/cli', bad)]).toEqual([]);
  });

  it('core/data does not import core/share (share builds on data, not the reverse)', () => {
    expect(offending('src/core/data', (s, f) => s.startsWith('src/core/share/') && !f.endsWith('.test.ts'))).toEqual([]);
  });

  it('the UI reaches IndexedDB only through store/labStore: no Dexie, no store/db in src/app', () => {
    expect(offending('src/app', (s) => s === 'dexie' || s === 'src/core/store/db')).toEqual([]);
  });

  it('core/search knows no RoBERTa modules: shapes come in from model/shape', () => {
    expect(offending('src/core/search', (s) => s === 'src/core/model/adapter')).toEqual([]);
  });
});
