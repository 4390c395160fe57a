/**
 * npm run bench:train — the same LoRA training step on every engine here, one row per (case, backend):
 * the Node backends (cpu; wasm with --wasm), the browser backends in headless Chromium
 * (bench/train-browser.ts: webgpu = SwiftShader here, webgl, wasm per thread count, cpu) and PyTorch
 * (torch-cpu). `--json` prints one JSON object per row (case, backend, tokensPerSec, msPerStep,
 * kernelsPerStep, dispatchKernels, kernelsPerLayer, uploadBytesPerStep, numTensorsStep2, numTensorsLast,
 * peakBytes, modelPeakBytes (the memory model's figure), threads where it applies, …); without it, a table.
 * Flags: --cases tiny,roberta-base-shape  --backends cpu,wasm  --browser-backends webgpu,webgl,wasm,cpu
 *        --threads 1,2 (browser wasm)  --composite (browser webgpu: also without the fused kernels)
 *        --steps N  --batch B --seq S  --no-browser  --no-torch  --verbose
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { benchStep, type BenchCase } from '../src/core/diagnostics/bench';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const has = (name: string) => process.argv.includes(name);
const cases = (arg('--cases') ?? 'tiny,roberta-base-shape').split(',') as BenchCase[];
const steps = Number(arg('--steps') ?? 2);
const batch = arg('--batch') ? Number(arg('--batch')) : undefined;
const seqLen = arg('--seq') ? Number(arg('--seq')) : undefined;
const json = has('--json');

const COLUMNS = ['case', 'backend', 'fused', 'threads', 'msPerStep', 'tokensPerSec', 'kernelsPerStep', 'dispatchKernels', 'kernelsPerLayer', 'dispatchKernelsPerLayer', 'uploadBytesPerStep', 'numTensorsStep2', 'numTensorsLast', 'peakBytes', 'modelPeakBytes'];
let headerShown = false;
/** One result row: a JSON line, or a table row (header first). */
export function emit(row: Record<string, unknown>): void {
  if (json) return void console.log(JSON.stringify(row));
  if (!headerShown) {
    console.log(`| ${COLUMNS.join(' | ')} |\n|${COLUMNS.map(() => '---').join('|')}|`);
    headerShown = true;
  }
  if (row.error) return void console.log(`| ${row.case ?? ''} | ${row.backend} | error: ${row.error} |`);
  console.log(`| ${COLUMNS.map((c) => (row[c] === undefined ? '–' : String(row[c]))).join(' | ')} |`);
}

async function main() {
  // --backends cpu,wasm (default cpu; --wasm adds wasm).
  const backends = (arg('--backends') ?? (has('--wasm') ? 'cpu,wasm' : 'cpu')).split(',').filter(Boolean);
  if (backends.includes('wasm')) await import('@tensorflow/tfjs-backend-wasm');
  for (const backend of backends) {
    await tf.setBackend(backend);
    await tf.ready();
    for (const c of cases) {
      const { kernelsByName, ...r } = await benchStep(c, { steps, batch, seqLen });
      // tfjs-backend-wasm has no threads in Node (no SharedArrayBuffer workers there).
      emit({ ...r, ...(backend === 'wasm' ? { threads: 1 } : {}), runtime: 'node' });
      if (has('--verbose')) console.log(JSON.stringify(Object.fromEntries(Object.entries(kernelsByName).sort((a, b) => b[1] - a[1]))));
    }
  }
  if (!has('--no-browser')) {
    const pass = ['--cases', cases.join(','), '--steps', String(steps), '--json'];
    if (arg('--browser-backends')) pass.push('--backends', arg('--browser-backends')!);
    if (arg('--threads')) pass.push('--threads', arg('--threads')!);
    if (has('--composite')) pass.push('--composite');
    if (batch) pass.push('--batch', String(batch));
    if (seqLen) pass.push('--seq', String(seqLen));
    const b = spawnSync('npx', ['tsx', 'bench/train-browser.ts', ...pass], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    for (const line of (b.stdout ?? '').split('\n').filter((l) => l.startsWith('{'))) emit(JSON.parse(line));
  }
  if (!has('--no-torch')) {
    const py = spawnSync('/usr/bin/python3', ['scripts/torch_reference.py', '--bench'], { encoding: 'utf8' });
    if (py.status === 0) for (const line of py.stdout.split('\n').filter((l) => l.startsWith('{'))) {
      const row = JSON.parse(line) as Record<string, unknown>;
      if (cases.includes(row.case as BenchCase)) emit(row);
    }
    else emit({ backend: 'torch-cpu', error: (py.stderr || py.error?.message || '').trim().split('\n').pop() });
  }
}
main();
