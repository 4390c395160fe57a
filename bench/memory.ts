/**
 * npm run bench:memory — peak bytes of one LoRA training step (query+value rank 8, regression head, AdamW,
 * the bench step of bench/train.ts) from the memory model (src/core/model/memory.ts) for the tiny,
 * roberta-base and roberta-large shapes at batch 8 × 64 and 16 × 128, with and without activation
 * recomputation, on webgpu (fused kernels) and the other backends (composite).
 * --measure: also run the steps that fit this machine on the cpu backend (the tiny shape; roberta-base's
 * width with 2 layers) and print the measured peak (BufferMeter) beside the model's. --json: one line per row.
 */
import * as tf from '@tensorflow/tfjs';
import { BENCH_SHAPES, type BenchCase } from '../src/core/diagnostics/bench';
import { estimateStepMemory, type MemoryModelShape } from '../src/core/model/memory';
import { measureStepMemory, probeEstimate, type ProbeShape } from '../src/core/diagnostics/memoryProbe';
import { fmtBytes } from '../src/core/model/memoryFit';

const json = process.argv.includes('--json');
const QV = ['attention.self.query', 'attention.self.value'] as const;
const SHAPES: [number, number][] = [[8, 64], [16, 128]];

function modelShape(c: BenchCase, layers?: number): MemoryModelShape {
  const s = BENCH_SHAPES[c];
  return { layers: layers ?? s.layers, hidden: s.hidden, heads: s.heads, intermediate: s.intermediate, vocab: 50265, maxPositions: 514, hiddenDropout: 0.1, attentionDropout: 0.1 };
}

function row(r: Record<string, unknown>): void {
  if (json) return void console.log(JSON.stringify(r));
  console.log(`| ${Object.values(r).map((v) => (typeof v === 'number' && v > 1e5 ? `${v.toLocaleString('en-US')} (${fmtBytes(v)})` : String(v))).join(' | ')} |`);
}

async function main() {
  if (!json) console.log('| case | batch × seq | recompute | kernels | peak bytes (model) | activations | attention probs |\n|---|---|---|---|---|---|---|');
  for (const c of Object.keys(BENCH_SHAPES) as BenchCase[])
    for (const [batch, seqLen] of SHAPES)
      for (const recompute of [false, true])
        for (const kernels of ['fused', 'composite'] as const) {
          const e = estimateStepMemory(modelShape(c), { batch, seqLen, targets: [...QV], rank: 8, loraDropout: 0.05, classes: 0, recompute, kernels });
          row({ case: c, shape: `${batch} × ${seqLen}`, recompute, kernels, modelPeakBytes: e.total, activations: e.activations, attentionProbs: e.attentionProbs });
        }
  if (!process.argv.includes('--measure')) return;
  await tf.setBackend('cpu');
  if (!json) console.log('\n| measured (cpu, Node) | batch × seq | recompute | peak bytes (measured) | peak bytes (model) | model / measured |\n|---|---|---|---|---|---|');
  const runs: { c: BenchCase; layers?: number; label: string; shapes: [number, number][] }[] = [
    { c: 'tiny', label: 'tiny', shapes: SHAPES },
    { c: 'roberta-base-shape', layers: 2, label: 'roberta-base width, 2 layers', shapes: [[8, 64]] },
  ];
  for (const { c, layers, label, shapes } of runs)
    for (const [batch, seqLen] of shapes)
      for (const recompute of [false, true]) {
        const m = modelShape(c, layers);
        const p: ProbeShape = { layers: m.layers, hidden: m.hidden, heads: m.heads, intermediate: m.intermediate, vocab: m.vocab, batch, seqLen, targets: [...QV], rank: 8, recompute };
        const measured = await measureStepMemory(p);
        const e = probeEstimate(p, 'composite');
        row({ case: label, shape: `${batch} × ${seqLen}`, recompute, measuredPeakBytes: measured.peakBytes, modelPeakBytes: e.total, ratio: (e.total / measured.peakBytes).toFixed(3) });
      }
}
main();
