import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { estimateStepMemory, MEMORY_HEAD_HIDDEN, type MemoryEstimate, type MemoryModelShape, type MemoryStepSettings } from './memory';
import { HEAD_HIDDEN } from './heads';
import { measureStepMemory, probeEstimate, type ProbeShape } from '../diagnostics/memoryProbe';

// The memory model against BufferMeter's measured peak of real training steps on the cpu backend (the
// composite kernels; e2e/memory.spec.ts does the same for webgpu's fused kernels). Shapes are chosen so that
// every term of the model is a visible share of what it is compared with.
const QV = ['attention.self.query', 'attention.self.value'] as const;
const SHAPES: { name: string; p: ProbeShape }[] = [
  // Activations and seq² attention probabilities dominate the step.
  { name: 'hidden 64, 3 layers, 8 × 64', p: { layers: 3, hidden: 64, heads: 4, intermediate: 256, vocab: 5000, batch: 8, seqLen: 64, targets: [...QV], rank: 8, recompute: false } },
  // Every target module, with recomputation.
  { name: 'hidden 48, all targets, recompute', p: { layers: 4, hidden: 48, heads: 2, intermediate: 192, vocab: 1000, batch: 4, seqLen: 16, targets: ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense'], rank: 16, recompute: true } },
  // A rank so large that the optimizer update, not the activations, makes the peak.
  { name: 'rank 40, recompute, 2 × 8', p: { layers: 3, hidden: 48, heads: 2, intermediate: 192, vocab: 1000, batch: 2, seqLen: 8, targets: [...QV], rank: 40, recompute: true } },
];
/** Resident part (weights, pools, trainables + moments): exact up to a few resident scalars. */
const RESIDENT_TOL = 0.001;
/** What the step adds on top of the resident part. */
const STEP_TOL = 0.05;


const RESIDENT_TERMS = ['weights', 'dropoutPools', 'trainableState'] as const;
const TERMS = [...RESIDENT_TERMS, 'activations', 'attentionProbs', 'gradients', 'optimizerExtra'] as const;
type Term = (typeof TERMS)[number];

/** Relative errors of the resident and step parts, optionally with one term left out. */
function errors(e: MemoryEstimate, measured: { residentBytes: number; peakBytes: number }, without?: Term) {
  const part = (names: readonly Term[]) => names.filter((n) => n !== without).reduce((a, n) => a + e[n], 0);
  const resident = part(RESIDENT_TERMS);
  const step = part(TERMS.filter((n) => !(RESIDENT_TERMS as readonly string[]).includes(n)));
  const measuredStep = measured.peakBytes - measured.residentBytes;
  return { resident: Math.abs(resident / measured.residentBytes - 1), step: Math.abs(step / measuredStep - 1) };
}

describe('memory model of a LoRA training step', () => {
  it('uses the heads width the engine uses', () => {
    expect(MEMORY_HEAD_HIDDEN).toBe(HEAD_HIDDEN);
  });

  it(`matches measured peaks on cpu (resident within ${RESIDENT_TOL * 100} %, step within ${STEP_TOL * 100} %), and every term is needed`, async () => {
    await tf.setBackend('cpu');
    const results: { name: string; e: MemoryEstimate; m: { residentBytes: number; peakBytes: number } }[] = [];
    for (const { name, p } of SHAPES) {
      const m = await measureStepMemory(p);
      const e = probeEstimate(p, 'composite');
      const err = errors(e, m);
      expect(err.resident, `${name}: resident ${m.residentBytes} vs model ${JSON.stringify(e)}`).toBeLessThanOrEqual(RESIDENT_TOL);
      expect(err.step, `${name}: step ${m.peakBytes - m.residentBytes} vs model ${JSON.stringify(e)}`).toBeLessThanOrEqual(STEP_TOL);
      results.push({ name, e, m });
    }
    // Leaving any one term out must push at least one measured shape outside the tolerance.
    for (const t of TERMS) {
      const broken = results.filter(({ e, m }) => {
        const err = errors(e, m, t);
        return err.resident > RESIDENT_TOL || err.step > STEP_TOL;
      });
      expect(broken.length, `dropping ${t} goes unnoticed`).toBeGreaterThan(0);
    }
    // No tensors left behind by the probes.
    expect(tf.memory().numTensors).toBe(0);
  }, 120_000);

  it('grows with batch × length and with seq² through the attention probabilities', () => {
    const m: MemoryModelShape = { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 50265, maxPositions: 514, hiddenDropout: 0.1, attentionDropout: 0.1 };
    const s: MemoryStepSettings = { batch: 8, seqLen: 64, targets: [...QV], rank: 8, loraDropout: 0.05, classes: 5, recompute: false, kernels: 'fused' };
    const a = estimateStepMemory(m, s), b = estimateStepMemory(m, { ...s, seqLen: 128 }), c = estimateStepMemory(m, { ...s, recompute: true });
    expect(b.attentionProbs / a.attentionProbs).toBeCloseTo(4, 1); // the last block's <s> rows grow with seq only
    expect(b.activations / a.activations).toBeCloseTo(2, 1);
    expect(c.total).toBeLessThan(a.total);
    expect(a.weights).toBe(b.weights);
  });
});
