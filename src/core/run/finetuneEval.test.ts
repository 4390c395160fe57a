import { describe, expect, it } from 'vitest';
import { classFigures, finetuneRunSettings, LEARNING_BARS, missedBars, pearson, prepareFinetuneData, scoreFigures, std } from './finetuneEval';
import { PRESETS } from './settings';
import { prepareTrialData } from './labRun';
import type { ModelSession } from './modelSession';
import type { TextTokenizer } from '../model/tokenizer';
import type { DataRow } from '../data/types';

describe('finetuneEval figures', () => {
  it('pearson and std follow numpy (ddof 0) and are 0 for a constant series', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    // numpy: np.corrcoef([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])[0, 1] = 0.8
    expect(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(() => pearson([1], [1])).toThrow(/≥ 2/);
  });

  it('a collapsed regressor (≈ the training mean everywhere) misses the bars; a good one clears them', () => {
    const truth = [-0.8, -0.4, -0.1, 0.1, 0.3, 0.5, 0.7, -0.6];
    const train = [0.1, 0.0, 0.05];
    const collapsed = scoreFigures(truth.map((_, i) => 0.05 + 1e-3 * i), truth, train);
    expect(collapsed.predStd).toBeLessThan(0.01);
    expect(collapsed.baselineMse).toBeCloseTo(truth.reduce((a, y) => a + (y - 0.05) ** 2, 0) / truth.length, 12);
    expect(missedBars(collapsed).length).toBeGreaterThan(0);
    const good = scoreFigures(truth.map((y, i) => 0.8 * y + (i % 2 ? 0.05 : -0.05)), truth, train);
    expect(good.r2).toBeGreaterThan(0.8);
    expect(missedBars(good)).toEqual([]);
    expect(missedBars({ ...good, status: 'failed' })).toEqual(['training failed']);
  });

  it('class figures: majority accuracy from the training labels, weighted and macro F1', () => {
    const f = classFigures([0, 0, 1, 1], [0, 1, 1, 1], [1, 1, 0], 2);
    expect(f.accuracy).toBe(0.75);
    expect(f.majorityAccuracy).toBe(0.75);
    // sklearn: f1_score([0,1,1,1],[0,0,1,1], average='macro') = (2/3 + 0.8) / 2
    expect(f.macroF1).toBeCloseTo((2 / 3 + 0.8) / 2, 12);
    expect(missedBars(f)).toEqual([`accuracy 0.750 < majority 0.750 + ${LEARNING_BARS.minAccuracyGain}`]);
  });
});

describe('finetune settings and data', () => {
  it('takes the preset and overrides only what it is given; the split seed is the settings seed', () => {
    const p = PRESETS.browser.settings;
    const s = finetuneRunSettings(p, { ranks: 8, epochs: 5, splitSeed: 3 });
    expect(s).toMatchObject({ lr: p.lr, batchSize: p.batchSize, loraAlpha: p.loraAlpha, epochs: 5, seed: 3, allowedRanks: [8], multitask: false, strategy: 'uniform' });
    expect(finetuneRunSettings(p, { ranks: [8, 8, 4, 4] }).allowedRanks).toEqual([8, 4]);
  });

  it('keeps each side’s text aligned with the trial split the app would make', () => {
    const tokenizer = { encode: (t: string) => [0, t.length, 2] } as unknown as TextTokenizer;
    const rows: DataRow[] = Array.from({ length: 40 }, (_, i) => ({ line: i + 2, text: `row ${i}`, score: i / 40, label: i % 3 ? 'a' : 'b' }));
    const s = finetuneRunSettings(PRESETS.browser.settings, { splitSeed: 7, valFraction: 0.25 });
    const d = prepareFinetuneData(rows, { task: 'both', labels: ['a', 'b'] }, s, tokenizer);
    const app = prepareTrialData(rows, { task: 'both', labels: ['a', 'b'] }, s, { tokenizer } as unknown as ModelSession);
    expect(d.trial.train).toEqual(app.train);
    expect(d.val.map((r) => r.score)).toEqual(app.val.map((r) => r.score));
    expect(d.val.length).toBe(10);
    expect(d.val.map((r) => r.text.length)).toEqual(app.val.map((r) => r.ids[1]));
    expect(d.hasScore && d.hasLabel).toBe(true);
  });
});
