import { describe, expect, it } from 'vitest';
import { PRESETS, validateSettings } from './settings';

const tiny = { layers: 4, hidden: 128, intermediate: 512, maxPositions: 514 };
const large = { layers: 24, hidden: 1024, intermediate: 4096, maxPositions: 514 };
const scoreTask = { hasScore: true, hasLabel: false };

describe('run settings', () => {
  it('presets are valid for the model they are meant for', () => {
    expect(validateSettings(PRESETS.quick.settings, tiny, scoreTask)).toEqual({});
    expect(validateSettings(PRESETS.browser.settings, tiny, scoreTask)).toEqual({});
    expect(validateSettings(PRESETS.paper.settings, large, scoreTask)).toEqual({});
  });

  it('explains each bad field', () => {
    const e = validateSettings({ ...PRESETS.quick.settings, allowedRanks: [512], groups: 9, lr: 0, metric: 'mse', maxLength: 600 }, tiny, { hasScore: false, hasLabel: true });
    expect(e.allowedRanks).toMatch(/exceeds 128/);
    expect(e.groups).toMatch(/1 to 4/);
    expect(e.lr).toMatch(/between 0 and 1/);
    expect(e.maxLength).toMatch(/8 to 512/);
    expect(e.metric).toMatch(/labels only/);
  });

  it('rejects a budget below the cheapest configuration', () => {
    // query+value on tiny: (128+128)*2 = 512 params per rank per layer; rank 4 × 4 layers = 8192.
    expect(validateSettings({ ...PRESETS.quick.settings, budget: 8191 }, tiny, scoreTask).budget).toMatch(/8,192/);
    expect(validateSettings({ ...PRESETS.quick.settings, budget: 8192 }, tiny, scoreTask).budget).toBeUndefined();
  });
});
