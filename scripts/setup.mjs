#!/usr/bin/env node
/**
 * One-step set-up behind `npm start` and `npm test`, using only Node built-ins so it runs before
 * node_modules exists. Idempotent: each step checks first and does nothing when already done.
 *   node scripts/setup.mjs start   → npm dependencies, a check of the embedded model's committed weights
 *   node scripts/setup.mjs test    → the same, plus Debian Chromium and the PyTorch/scikit-learn reference
 *   node scripts/setup.mjs build   → the npm packages and the weights check, before `vite build`: a site
 *                                    built without real weights would only fail later, in the user's browser
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] ?? 'start';
const log = (m) => console.log(`[setup] ${m}`);
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// 1. npm packages: reinstall when node_modules is missing or older than the lockfile.
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  log('installing npm dependencies (npm ci)…');
  run('npm ci --no-audit --no-fund');
}

// 2. The embedded model's weights are committed (MLM-pretrained by scripts/pretrain-tiny.py); check that they
//    are the recorded bytes, so a clone without them (or a half-written file) is caught here, not in the app.
{
  const dir = join(root, 'public/models/tiny-roberta');
  const weights = join(dir, 'model.safetensors');
  if (!existsSync(weights)) {
    console.error('[setup] public/models/tiny-roberta/model.safetensors is missing: restore it with `git checkout -- public/models/tiny-roberta`, or rebuild it with `/usr/bin/python3 scripts/pretrain-tiny.py`.');
    process.exit(1);
  }
  // A safetensors file starts with a little-endian u64 header length and that many bytes of JSON; a Git LFS
  // pointer, an HTML error page or a truncated download does not.
  const bytes = readFileSync(weights);
  let header;
  try {
    const n = Number(bytes.readBigUInt64LE(0));
    if (!(n > 0 && 8 + n <= bytes.length)) throw new Error(`header length ${n} does not fit the file's ${bytes.length} bytes`);
    header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    console.error(`[setup] public/models/tiny-roberta/model.safetensors is not a safetensors file (${e.message}); it is ${bytes.length} bytes starting "${bytes.subarray(0, 24).toString('latin1').replace(/[^ -~]/g, '.')}". Restore it with \`git checkout -- public/models/tiny-roberta\` (or \`git lfs pull\` if your clone uses LFS), or rebuild it with \`/usr/bin/python3 scripts/pretrain-tiny.py\`.`);
    process.exit(1);
  }
  if (!header['roberta.embeddings.word_embeddings.weight']) {
    console.error('[setup] public/models/tiny-roberta/model.safetensors has no roberta.embeddings.word_embeddings.weight: it is not the embedded RoBERTa. Restore it with `git checkout -- public/models/tiny-roberta`.');
    process.exit(1);
  }
  const want = JSON.parse(readFileSync(join(dir, 'pretraining.json'), 'utf8')).sha256;
  const have = createHash('sha256').update(bytes).digest('hex');
  if (want !== have) log(`note: the embedded model's weights (sha256 ${have.slice(0, 12)}…) are not the committed ones (${want.slice(0, 12)}…).`);
}

if (mode === 'test') {
  // 3. Debian packages for the browser tests and the PyTorch / scikit-learn reference checks.
  const need = [];
  if (!existsSync('/usr/bin/chromium')) need.push('chromium');
  const py = spawnSync('/usr/bin/python3', ['-c', 'import torch, sklearn, numpy'], { stdio: 'ignore' });
  if (py.status !== 0) need.push('python3-torch', 'python3-sklearn', 'python3-numpy', 'libopenblas0-pthread');
  // Optuna and its CMA-ES backend: the outside anchors of `npm run bench:search` (bench/optuna_search.py).
  const optuna = spawnSync('/usr/bin/python3', ['-c', 'import optuna'], { stdio: 'ignore' });
  if (optuna.status !== 0) need.push('python3-optuna');
  const cmaes = spawnSync('/usr/bin/python3', ['-c', 'import cmaes'], { stdio: 'ignore' });
  if (cmaes.status !== 0) need.push('python3-cmaes');
  if (need.length) {
    const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${need.join(' ')}`;
    if (isRoot) {
      log(`installing Debian packages: ${need.join(' ')}`);
      run(cmd);
    } else {
      console.error(`[setup] missing Debian packages. Install them once with:\n  sudo sh -c '${cmd}'`);
      process.exit(1);
    }
  }
}

if (mode === 'start') {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  log(`${pkg.name} ready; starting the dev server (open the URL below in Chrome/Edge 113+ for WebGPU).`);
}
