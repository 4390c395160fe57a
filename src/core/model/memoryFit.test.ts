import { describe, expect, it } from 'vitest';
import { checkStepFit, fitPresetBatch, memoryShapeOf, parseMemoryCap, type FitSettings } from './memoryFit';
import type { MemoryModelShape } from './memory';

const LARGE: MemoryModelShape = memoryShapeOf({ layers: 24, hidden: 1024, heads: 16, intermediate: 4096, vocab: 50265, maxPositions: 514 });
const BROWSER: FitSettings = { batchSize: 16, maxLength: 128, targets: ['attention.self.query', 'attention.self.value'], allowedRanks: [8, 16, 32, 64], loraDropout: 0.05, classes: 5 };
const GiB = 2 ** 30;
const LIMITS = { maxBufferSize: 2 * GiB, maxStorageBufferBindingSize: 128 * 2 ** 20 };

describe('does a training step fit the GPU', () => {
  it('roberta-large at 16 × 128 does not fit an 8 GiB cap; the message names the batch and the max length that would', () => {
    const f = checkStepFit(LARGE, BROWSER, { capBytes: 8 * GiB, kernels: 'fused' });
    expect(f.ok).toBe(false);
    expect(f.problems).toHaveLength(1);
    expect(f.problems[0]).toMatch(/^A training step at batch 16 × 128 tokens needs about 1\d\.\d\d GiB .* above your memory cap of 8\.00 GiB\. To fit, lower the batch to \d+ or lower the max length to \d+ \(Data page\)\.$/);
    // The suggestions do fit, one more does not.
    const at = (batchSize: number, maxLength: number) => checkStepFit(LARGE, { ...BROWSER, batchSize, maxLength }, { capBytes: 8 * GiB, kernels: 'fused' }).ok;
    expect(at(f.fittingBatch, 128)).toBe(true);
    expect(at(f.fittingBatch + 1, 128)).toBe(false);
    expect(at(16, f.fittingLength)).toBe(true);
    expect(at(16, f.fittingLength + 1)).toBe(false);
  });

  it('fits without a cap, and under a cap large enough', () => {
    expect(checkStepFit(LARGE, BROWSER, { kernels: 'fused' }).ok).toBe(true);
    expect(checkStepFit(LARGE, BROWSER, { capBytes: 40 * GiB, kernels: 'composite' }).ok).toBe(true);
  });

  it("names the attention scores when they outgrow the GPU's per-buffer limit", () => {
    const f = checkStepFit(LARGE, { ...BROWSER, batchSize: 32, maxLength: 512 }, { limits: LIMITS, kernels: 'fused' });
    expect(f.ok).toBe(false);
    const scores = f.problems.find((p) => p.includes('attention scores'));
    expect(scores).toMatch(/attention scores \(512\.0 MiB\) in one GPU buffer, but this GPU allows 128\.0 MiB per buffer .* lower the batch to 8 or lower the max length to 256/);
  });

  it('a huge rank puts the optimizer moments over the buffer limit: the fix is the rank, not the batch', () => {
    const f = checkStepFit(LARGE, { ...BROWSER, allowedRanks: [128, 256, 384, 512], batchSize: 10, maxLength: 64 }, { limits: LIMITS, kernels: 'fused' });
    expect(f.problems).toHaveLength(1);
    expect(f.problems[0]).toMatch(/optimizer moments \(193\.0 MiB\) .* Lower the largest allowed rank or use fewer target modules/);
  });

  it('a preset whose step does not fit gets the largest batch that does, and says so', () => {
    const r = fitPresetBatch(LARGE, BROWSER, { capBytes: 8 * GiB, kernels: 'fused' });
    const fit = checkStepFit(LARGE, BROWSER, { capBytes: 8 * GiB, kernels: 'fused' });
    expect(r.batchSize).toBe(fit.fittingBatch);
    expect(r.note).toBe(`Batch lowered from 16 to ${fit.fittingBatch} so that a training step at 128 tokens fits your 8.00 GiB memory cap.`);
    expect(fitPresetBatch(LARGE, BROWSER, { kernels: 'fused' })).toEqual({ batchSize: 16 });
  });
});

describe('memory cap setting', () => {
  it('reads GiB, empty as no cap, and explains bad input', () => {
    expect(parseMemoryCap(' 8 ')).toEqual({ bytes: 8 * GiB });
    expect(parseMemoryCap('1,5')).toEqual({ bytes: 1.5 * GiB });
    expect(parseMemoryCap('')).toEqual({ bytes: undefined });
    expect(parseMemoryCap('eight')).toEqual({ error: '"eight" is not a number: type the GPU memory in GiB, e.g. 8, or leave it empty for no cap.' });
    expect(parseMemoryCap('0')).toEqual({ error: 'The memory cap must be above 0 GiB (or empty for no cap).' });
    expect(parseMemoryCap('8192')).toEqual({ error: 'The memory cap is in GiB: a value above 1024 GiB is surely a typo.' });
  });
});
