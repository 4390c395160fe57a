/**
 * Does a training step of these settings fit? The memory model's estimate against what the browser tells
 * about the GPU (per-buffer limits: WebGPU exposes no total memory) and the memory cap the user sets for
 * their GPU. When it does not fit, the message names the batch and the max length that would.
 */
import type { TargetModule } from './adapter';
import type { ArchitectureSummary, GpuLimits } from './architecture';
import { estimateStepMemory, type MemoryEstimate, type MemoryModelShape, type MemoryStepSettings } from './memory';

/** tfjs' WebGPU buffer pool and alignment add a little to the tensor bytes the model counts (measured: ~2 %). */
export const MEMORY_HEADROOM = 1.1;
/** Shortest max length the Data page allows; suggestions go no lower. */
const MIN_LENGTH = 8;

export interface FitSettings {
  batchSize: number;
  maxLength: number;
  targets: TargetModule[];
  allowedRanks: number[];
  loraDropout: number;
  /** Classes of the classification head (0 = none). */
  classes: number;
}

export interface StepFit {
  ok: boolean;
  estimate: MemoryEstimate;
  /** One sentence per problem, each naming what to lower. */
  problems: string[];
  /** Largest batch that fits at this max length (0: none), and largest max length at this batch (0: none). */
  fittingBatch: number;
  fittingLength: number;
}

const GiB = 2 ** 30, MiB = 2 ** 20;
export const fmtBytes = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(2)} GiB` : `${(b / MiB).toFixed(1)} MiB`);

/** The model's dimensions from the Model page's summary; RoBERTa's dropout 0.1 (only the pool count depends on it). */
export function memoryShapeOf(s: Pick<ArchitectureSummary, 'layers' | 'hidden' | 'heads' | 'intermediate' | 'vocab' | 'maxPositions'>): MemoryModelShape {
  return { layers: s.layers, hidden: s.hidden, heads: s.heads, intermediate: s.intermediate, vocab: s.vocab, maxPositions: s.maxPositions, hiddenDropout: 0.1, attentionDropout: 0.1 };
}

function stepOf(f: FitSettings, kernels: MemoryStepSettings['kernels'], batch = f.batchSize, seqLen = f.maxLength): MemoryStepSettings {
  return { batch, seqLen, targets: f.targets, rank: Math.max(0, ...f.allowedRanks), loraDropout: f.loraDropout, classes: f.classes, recompute: false, kernels };
}

/** Largest n in [lo, hi] with ok(n), for ok monotone (true up to some n); 0 when ok(lo) fails. */
function largest(lo: number, hi: number, ok: (n: number) => boolean): number {
  if (hi < lo || !ok(lo)) return 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * `capBytes`: the user's memory cap (undefined = none); `limits`: the WebGPU adapter's (absent off WebGPU).
 * `kernels`: 'fused' on the webgpu backend.
 */
export function checkStepFit(model: MemoryModelShape, f: FitSettings, opts: { capBytes?: number; limits?: GpuLimits; kernels: MemoryStepSettings['kernels'] }): StepFit {
  const binding = opts.limits && opts.limits.maxBufferSize > 0 ? Math.min(opts.limits.maxBufferSize, opts.limits.maxStorageBufferBindingSize) : undefined;
  const overCap = (e: MemoryEstimate) => opts.capBytes !== undefined && e.total * MEMORY_HEADROOM > opts.capBytes;
  const tooBig = (e: MemoryEstimate) => (binding === undefined ? [] : e.buffers.filter((b) => b.bytes > binding));
  // Batch and length move everything but the optimizer moments (those follow the ranks and targets).
  const fitsByShape = (e: MemoryEstimate) => !overCap(e) && tooBig(e).every((b) => b.what === 'optimizer moments');
  const at = (b: number, len: number) => estimateStepMemory(model, stepOf(f, opts.kernels, b, len));
  const estimate = at(f.batchSize, f.maxLength);
  const fittingBatch = largest(1, f.batchSize, (b) => fitsByShape(at(b, f.maxLength)));
  const fittingLength = largest(MIN_LENGTH, f.maxLength, (len) => fitsByShape(at(f.batchSize, len)));
  const where = `A training step at batch ${f.batchSize} × ${f.maxLength} tokens`;
  const lower = (): string => {
    const ways: string[] = [];
    if (fittingBatch > 0) ways.push(`lower the batch to ${fittingBatch}`);
    if (fittingLength > 0) ways.push(`lower the max length to ${fittingLength} (Data page)`);
    if (ways.length) return ` To fit, ${ways.join(' or ')}.`;
    return ' Neither batch 1 nor the shortest max length is enough alone: lower both the batch and the max length (Data page), or pick a smaller model.';
  };
  const problems: string[] = [];
  if (overCap(estimate))
    problems.push(`${where} needs about ${fmtBytes(estimate.total * MEMORY_HEADROOM)} of GPU memory (estimate with ${Math.round((MEMORY_HEADROOM - 1) * 100)} % headroom), above your memory cap of ${fmtBytes(opts.capBytes!)}.${lower()}`);
  for (const b of tooBig(estimate)) {
    const fix =
      b.what === 'optimizer moments'
        ? ' Lower the largest allowed rank or use fewer target modules: the LoRA parameters and their AdamW moments each live in one buffer.'
        : lower();
    problems.push(`${where} puts its ${b.what} (${fmtBytes(b.bytes)}) in one GPU buffer, but this GPU allows ${fmtBytes(binding!)} per buffer (maxBufferSize / maxStorageBufferBindingSize).${fix}`);
  }
  return { ok: problems.length === 0, estimate, problems, fittingBatch, fittingLength };
}

/**
 * The memory cap as typed in GiB ('' = no cap). Returns bytes, or a message saying what is wrong.
 */
export function parseMemoryCap(text: string): { bytes: number | undefined } | { error: string } {
  const t = text.trim().replace(',', '.');
  if (t === '') return { bytes: undefined };
  const v = Number(t);
  if (!Number.isFinite(v)) return { error: `"${text.trim().slice(0, 20)}" is not a number: type the GPU memory in GiB, e.g. 8, or leave it empty for no cap.` };
  if (v <= 0) return { error: 'The memory cap must be above 0 GiB (or empty for no cap).' };
  if (v > 1024) return { error: 'The memory cap is in GiB: a value above 1024 GiB is surely a typo.' };
  return { bytes: Math.round(v * GiB) };
}

/**
 * A preset's batch lowered until a step fits (the preset choice): the largest batch that fits at the run's
 * max length, with a sentence saying so; unchanged (no note) when it already fits or when no batch does
 * (then checkStepFit's message says what to do).
 */
export function fitPresetBatch(model: MemoryModelShape, f: FitSettings, opts: Parameters<typeof checkStepFit>[2]): { batchSize: number; note?: string } {
  const fit = checkStepFit(model, f, opts);
  if (fit.ok || fit.fittingBatch === 0 || fit.fittingBatch === f.batchSize) return { batchSize: f.batchSize };
  const why = opts.capBytes !== undefined && fit.estimate.total * MEMORY_HEADROOM > opts.capBytes ? `your ${fmtBytes(opts.capBytes)} memory cap` : "this GPU's buffer limit";
  return { batchSize: fit.fittingBatch, note: `Batch lowered from ${f.batchSize} to ${fit.fittingBatch} so that a training step at ${f.maxLength} tokens fits ${why}.` };
}
