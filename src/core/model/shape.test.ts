/**
 * The one home of LoRA shapes and costs: each target's weight shape, the exact parameter count a budget is
 * counted in, the adapter scale, and agreement with a built model's own layers.
 */
import { describe, expect, it } from 'vitest';
import { TARGET_MODULES } from './adapter';
import { costPerRank, loraParamCount, loraScale, ROBERTA_SIZES, sizeOfConfig, targetShape, targetShapes } from './shape';

const LARGE = ROBERTA_SIZES['roberta-large'];

describe('model shape', () => {
  it('attention projections are H×H, intermediate.dense I×H, output.dense H×I', () => {
    expect(TARGET_MODULES.map((t) => targetShape(t, LARGE))).toEqual([
      { out: 1024, in: 1024 },
      { out: 1024, in: 1024 },
      { out: 1024, in: 1024 },
      { out: 1024, in: 1024 },
      { out: 4096, in: 1024 },
      { out: 1024, in: 4096 },
    ]);
  });

  it('roberta-large query,value at r = 8 in all 24 layers costs 786,432 parameters', () => {
    const qv = targetShapes(['attention.self.query', 'attention.self.value'], LARGE);
    expect(costPerRank(qv)).toBe(4096);
    expect(loraParamCount(new Array(24).fill(8), qv)).toBe(786_432);
    expect(loraParamCount([0, 4, 16], targetShapes(['output.dense'], LARGE))).toBe(20 * 5120);
  });

  it('refuses an unknown or repeated target by name', () => {
    expect(() => targetShapes([], LARGE)).toThrow(/at least one target/);
    expect(() => targetShapes(['attention.self.nope' as never], LARGE)).toThrow(/unknown target module 'attention.self.nope'/);
    expect(() => targetShapes(['output.dense', 'output.dense'], LARGE)).toThrow(/listed twice/);
  });

  it('scales an update by alpha / r, or alpha / √r with rsLoRA', () => {
    expect(loraScale(16, 8, false)).toBe(2);
    expect(loraScale(16, 16, true)).toBe(4);
  });

  it('reads a config.json size in the lab’s names', () => {
    expect(sizeOfConfig({ numLayers: 4, hiddenSize: 128, intermediateSize: 512 })).toEqual({ layers: 4, hidden: 128, intermediate: 512 });
  });
});
