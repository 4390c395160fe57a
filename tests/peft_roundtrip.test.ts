/**
 * PyTorch round trip: export a PEFT adapter, load it in scripts/peft_roundtrip.py (torch, no peft package)
 * on the same base weights, and require the same predictions as the TypeScript side within 1e-4.
 *
 * Two TypeScript sides are compared with PyTorch: the engine's `predict` (src/core/train/trainer.ts, tfjs
 * `cpu` backend, fp32: what the browser runs) and a plain-JS float64 reference forward
 * (tests/share/referenceForward.ts), which pins the export format independently of the engine.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { predict } from '../src/core/train/trainer';
import { tinyModel } from './engineFixtures';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPeftAdapter, importPeftAdapter } from '../src/core/share/peft';
import { parseSafetensors, type NamedTensor } from '../src/core/model/safetensors';
import type { AdapterSnapshot } from '../src/core/model/adapter';
import { referencePredict, type Prediction, type TinyConfig } from './share/referenceForward';
import { randomSnapshot } from './share/snapshots';

const MODEL_DIR = join(__dirname, '..', 'public', 'models', 'tiny-roberta');
const cfg: TinyConfig = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
const base: Map<string, NamedTensor> = parseSafetensors(readFileSync(join(MODEL_DIR, 'model.safetensors'))).tensors;

export type PredictFn = (snapshot: AdapterSnapshot, inputIds: number[][]) => Promise<Prediction & { probs?: number[][] }>;
const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const referenceFn: PredictFn = async (snapshot, inputIds) => {
  const p = referencePredict(cfg, base, snapshot, inputIds);
  return { ...p, probs: p.logits?.map(softmax) };
};
const engineFn: PredictFn = async (snapshot, inputIds) => {
  const model = await tinyModel();
  try {
    const rows = await predict(model, snapshot, inputIds);
    const out: Prediction & { probs?: number[][] } = {};
    if (snapshot.heads['regression.dense.weight']) out.score = rows.map((r) => r.score as number);
    if (snapshot.heads['classification.dense.weight']) out.probs = rows.map((r) => r.probs as number[]);
    return out;
  } finally {
    model.dispose();
  }
};
const predictFn = referenceFn;

// <s> … </s> sequences of different lengths (so the batch is padded in PyTorch), ids from the real vocab.
const IDS = [
  [0, 713, 16, 10, 205, 183, 13, 5, 1048, 2],
  [0, 3762, 1579, 2],
  [0, 100, 437, 45, 686, 59, 42, 4, 2],
];

function runTorch(snapshot: AdapterSnapshot): Prediction & { probs: number[][] | null; lora_modules: string[]; zip: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'peft-rt-'));
  const zip = join(dir, 'adapter.zip');
  const bytes = exportPeftAdapter(snapshot);
  writeFileSync(zip, bytes);
  const out = execFileSync('/usr/bin/python3', [join(__dirname, '..', 'scripts', 'peft_roundtrip.py'), '--model-dir', MODEL_DIR, '--adapter', zip, '--ids', JSON.stringify(IDS)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { ...JSON.parse(out), zip: bytes };
}

function maxDiff(a: number[] | number[][] | undefined, b: number[] | number[][] | undefined | null): number {
  expect(a).toBeDefined();
  expect(b).toBeTruthy();
  const fa = (a as unknown[]).flat() as number[], fb = (b as unknown[]).flat() as number[];
  expect(fa.length).toBe(fb.length);
  return Math.max(...fa.map((x, i) => Math.abs(x - fb[i])));
}

describe('PEFT export reproduces predictions in PyTorch', () => {
  const cases: Array<[string, Parameters<typeof randomSnapshot>[0]]> = [
    ['ranks [0,4,8,2] on query+value, per-layer alphas', { ranks: [0, 4, 8, 2], alphas: [16, 8, 32, 8] }],
    ['rsLoRA, all layers, key + FFN output only (regex targets)', { ranks: [2, 2, 6, 2], targets: ['attention.self.key', 'output.dense'], rslora: true, seed: 5 }],
    ['all six targets, regression head only', { ranks: [3, 0, 0, 5], targets: ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense'], classes: 0, seed: 9 }],
  ];
  it.each(cases)('%s', async (_name, spec) => {
    const snap = randomSnapshot(spec);
    const torch = runTorch(snap);
    const ts = await predictFn(snap, IDS);
    const expectedModules = snap.ranks.flatMap((r, l) => (r ? snap.targets.map((t) => `roberta.encoder.layer.${l}.${t}`) : []));
    expect(torch.lora_modules.sort()).toEqual(expectedModules.sort());
    let worst = 0;
    if (snap.heads['regression.dense.weight']) worst = Math.max(worst, maxDiff(ts.score, torch.score));
    else expect(torch.score).toBeNull();
    if (snap.heads['classification.dense.weight']) worst = Math.max(worst, maxDiff(ts.logits, torch.logits));
    else expect(torch.logits).toBeNull();
    // The engine (tfjs, fp32) against PyTorch: score and class probabilities.
    const before = tf.memory().numTensors;
    const eng = await engineFn(snap, IDS);
    let engineWorst = 0;
    if (snap.heads['regression.dense.weight']) engineWorst = Math.max(engineWorst, maxDiff(eng.score, torch.score));
    if (snap.heads['classification.dense.weight']) engineWorst = Math.max(engineWorst, maxDiff(eng.probs, torch.probs));
    expect(tf.memory().numTensors).toBe(before);
    console.log(`${_name}: max |reference − PyTorch| = ${worst.toExponential(2)}, max |engine predict − PyTorch| = ${engineWorst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    expect(engineWorst).toBeLessThan(1e-4);
    // Import (playground path): the re-imported zip predicts the same through the engine.
    const imp = importPeftAdapter(torch.zip, { baseModel: cfg._name_or_path ?? 'rank-lab/tiny-roberta', layers: cfg.num_hidden_layers, hidden: cfg.hidden_size, intermediate: cfg.intermediate_size });
    expect(imp.ok).toBe(true);
    if (imp.ok) {
      const again = await engineFn(imp.snapshot, IDS);
      expect(maxDiff(again.score ?? again.probs, eng.score ?? eng.probs)).toBeLessThan(1e-6);
    }
    // The adapter must matter, or agreement would prove nothing: without LoRA the outputs move.
    const noLora = await predictFn({ ...snap, ranks: snap.ranks.map(() => 0) }, IDS);
    const moved = Math.max(maxDiff(noLora.score ?? noLora.logits, torch.score ?? torch.logits));
    expect(moved).toBeGreaterThan(1e-3);
  });
});
