/**
 * npm run bench:train — one JSON line per case: the tfjs engine on the Node backends available here
 * (cpu; wasm with --wasm), then the same LoRA step in the PyTorch reference (torch-cpu).
 * Flags: --cases tiny,roberta-base-shape  --backends cpu,wasm  --steps N  --verbose (kernel names)  --no-torch
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { benchStep, type BenchCase } from '../src/core/train/bench';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const cases = (arg('--cases') ?? 'tiny,roberta-base-shape').split(',') as BenchCase[];
const steps = Number(arg('--steps') ?? 2);
const verbose = process.argv.includes('--verbose');

async function main() {
  // --backends cpu,wasm (default cpu; --wasm adds wasm).
  const backends = (arg('--backends') ?? (process.argv.includes('--wasm') ? 'cpu,wasm' : 'cpu')).split(',');
  if (backends.includes('wasm')) await import('@tensorflow/tfjs-backend-wasm');
  for (const backend of backends) {
    await tf.setBackend(backend);
    await tf.ready();
    for (const c of cases) {
      const { kernelsByName, ...r } = await benchStep(c, { steps });
      console.log(JSON.stringify(r));
      if (verbose) console.log(JSON.stringify(Object.fromEntries(Object.entries(kernelsByName).sort((a, b) => b[1] - a[1]))));
    }
  }
  if (!process.argv.includes('--no-torch')) {
    const py = spawnSync('/usr/bin/python3', ['scripts/torch_reference.py', '--bench'], { encoding: 'utf8' });
    if (py.status === 0) process.stdout.write(py.stdout);
    else console.log(JSON.stringify({ backend: 'torch-cpu', error: (py.stderr || py.error?.message || '').trim().split('\n').pop() }));
  }
}
main();
