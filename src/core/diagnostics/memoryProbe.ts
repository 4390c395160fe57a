/**
 * Measured memory of one LoRA training step on the active backend, for shapes small enough to build here:
 * random weights of the given shape, two steps (the first allocates the optimizer state and dropout pool),
 * and the most bytes of tensor data alive at once during the second (BufferMeter). The memory model
 * (core/model/memory.ts) is checked against these figures in Vitest (cpu) and in the browser (webgpu).
 */
import type { RobertaConfig } from '../model/config';
import type { TargetModule } from '../model/adapter';
import { estimateStepMemory, type MemoryEstimate, type MemoryStepSettings } from '../model/memory';
import { BufferMeter, randomWeights, setupBench, type BenchSetup } from './bench';

export interface ProbeShape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  vocab: number;
  batch: number;
  seqLen: number;
  targets: TargetModule[];
  rank: number;
  recompute: boolean;
}

export interface MeasuredMemory {
  /** Held between steps: frozen weights, LoRA, heads, optimizer moments, dropout pool. */
  residentBytes: number;
  /** Most tensor bytes alive at once during a step (resident included). */
  peakBytes: number;
  /** Buffers created by the step and alive at its peak: byte size → how many (what the model must account for). */
  peakBuffers: Record<number, number>;
}

export function probeConfig(p: ProbeShape): RobertaConfig {
  return {
    modelType: 'roberta', vocabSize: p.vocab, hiddenSize: p.hidden, numLayers: p.layers, numHeads: p.heads, intermediateSize: p.intermediate,
    maxPositions: 514, typeVocabSize: 1, layerNormEps: 1e-5, padId: 1, hiddenDropout: 0.1, attentionDropout: 0.1, name: 'memory-probe',
  };
}

/** The memory model's figures for the probe's step: regression head only, LoRA dropout 0.05 (setupBench). */
export function probeEstimate(p: ProbeShape, kernels: MemoryStepSettings['kernels']): MemoryEstimate {
  const c = probeConfig(p);
  return estimateStepMemory(
    { layers: p.layers, hidden: p.hidden, heads: p.heads, intermediate: p.intermediate, vocab: p.vocab, maxPositions: c.maxPositions, hiddenDropout: c.hiddenDropout, attentionDropout: c.attentionDropout },
    { batch: p.batch, seqLen: p.seqLen, targets: p.targets, rank: p.rank, loraDropout: 0.05, classes: 0, recompute: p.recompute, kernels },
  );
}

export async function measureStepMemory(p: ProbeShape): Promise<MeasuredMemory> {
  const config = probeConfig(p);
  const meter = new BufferMeter(true).start();
  let s: BenchSetup | undefined;
  try {
    s = setupBench(config, randomWeights(config), p.batch, p.seqLen, 1, true, { targets: p.targets, rank: p.rank, recompute: p.recompute });
    await s.step();
    const residentBytes = meter.now;
    meter.resetPeak();
    await s.step();
    const peakBuffers: Record<number, number> = {};
    for (const b of meter.peakBuffers) peakBuffers[b] = (peakBuffers[b] ?? 0) + 1;
    return { residentBytes, peakBytes: meter.peak, peakBuffers };
  } finally {
    meter.stop();
    s?.dispose();
  }
}
