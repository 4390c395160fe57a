import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

// `npm run build` runs `scripts/setup.mjs build` first: a site must not be built around weights that are not a
// safetensors file (a Git LFS pointer, an HTML page), since the app would only fail later, in the browser.
const ROOT = join(__dirname, '..');
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeCheckout(weights: Buffer): string {
  dir = mkdtempSync(join(tmpdir(), 'ranklab-setup-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/setup.mjs'), join(dir, 'scripts/setup.mjs'));
  writeFileSync(join(dir, 'package.json'), '{"name":"rank-lab"}');
  writeFileSync(join(dir, 'package-lock.json'), '{}');
  // node_modules newer than the lockfile: no npm ci.
  mkdirSync(join(dir, 'node_modules'));
  writeFileSync(join(dir, 'node_modules/.package-lock.json'), '{}');
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(dir, 'node_modules/.package-lock.json'), later, later);
  const model = join(dir, 'public/models/tiny-roberta');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'model.safetensors'), weights);
  copyFileSync(join(ROOT, 'public/models/tiny-roberta/pretraining.json'), join(model, 'pretraining.json'));
  return dir;
}

const build = (root: string) => spawnSync(process.execPath, [join(root, 'scripts/setup.mjs'), 'build'], { encoding: 'utf8' });

it('refuses to build around a Git LFS pointer, with the reason and the fix', () => {
  const r = build(fakeCheckout(Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 14762234\n')));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('is not a safetensors file');
  expect(r.stderr).toContain('git-lfs');
  expect(r.stderr).toContain('git checkout -- public/models/tiny-roberta');
});

it('accepts the committed weights', () => {
  const r = build(fakeCheckout(readFileSync(join(ROOT, 'public/models/tiny-roberta/model.safetensors'))));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
