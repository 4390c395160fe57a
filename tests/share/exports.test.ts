import { describe, expect, it } from 'vitest';
import Papa from 'papaparse';
import { trialsToCsv, trialsToJson, csvCell } from '../../src/core/share/trialsExport';
import { exportRunFile, importRunFile } from '../../src/core/share/runFile';
import { sampleDoc } from './sampleDoc';

describe('trials export', () => {
  const doc = sampleDoc({ trials: 10 });
  it('CSV has one row per trial, metrics as columns, and parses back to the same numbers', () => {
    doc.trials[4] = { ...doc.trials[4], status: 'failed', metrics: {} };
    const csv = trialsToCsv(doc.trials);
    const parsed = Papa.parse<Record<string, string>>(csv.trim(), { header: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(['config', 'ranks', 'params', 'status', 'epochs', 'time_ms', 'mse', 'mae', 'rmse', 'r2', 'accuracy', 'f1']);
    expect(parsed.data).toHaveLength(10);
    parsed.data.forEach((row, i) => {
      const t = doc.trials[i];
      expect(row.config).toBe(t.config);
      expect(row.ranks.split(' ').map(Number)).toEqual(t.ranks);
      expect(Number(row.params)).toBe(t.params);
      if (t.metrics.mse === undefined) expect(row.mse).toBe('');
      else expect(Number(row.mse)).toBe(t.metrics.mse);
    });
  });
  it('quotes and defuses spreadsheet formulas in text cells', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(NaN)).toBe('');
  });
  it('JSON round-trips', () => {
    expect(JSON.parse(trialsToJson(doc.trials))).toEqual(doc.trials);
  });
});

describe('run file', () => {
  const doc = sampleDoc({ trials: 12, curves: true });
  const data = {
    columns: { text: 'text', score: 'score' },
    rows: [
      { text: 'Up 5% $AAPL <b>bold</b>', score: 0.5, split: 'train' as const },
      { text: 'down', score: -0.3, split: 'val' as const },
    ],
  };
  const history = Object.fromEntries(doc.trials.map((t) => [t.config, (t.curve ?? []).map((mse) => ({ mse }))]));

  it('leaves dataset text out unless includeData is set', () => {
    const without = exportRunFile(doc, { data, history });
    expect(without).not.toContain('AAPL');
    const r = importRunFile(without);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.run.results).toEqual(doc);
      expect(r.run.data).toBeUndefined();
      expect(r.run.history).toEqual(history);
    }
    const withData = importRunFile(exportRunFile({ ...doc, dataset: { ...doc.dataset, rows: 2 } }, { data, includeData: true }));
    expect(withData.ok && withData.run.data?.rows[0].text).toBe('Up 5% $AAPL <b>bold</b>');
    expect(withData.ok && withData.warnings).toEqual([]);
  });

  it('rejects bad files with the field at fault', () => {
    const good = JSON.parse(exportRunFile(doc));
    const cases: Array<[unknown, RegExp]> = [
      ['{', /not valid JSON/],
      [{ ...good, format: 'other' }, /not a Rank Lab run file/],
      [{ ...good, version: 9 }, /version 9; this version of Rank Lab reads version 1/],
      [{ ...good, results: { ...good.results, trials: [{ ...good.results.trials[0], params: 'many' }] } }, /results\.trials\[0\]\.params/],
      [{ ...good, results: { ...good.results, model: { ...good.results.model, id: '<img src=x onerror=alert(1)>' } } }, /results\.model\.id/],
      [{ ...good, extra: true }, /Unrecognized key/],
      [JSON.stringify(good).replace('"results":{', '"results":{"__proto__":{"x":1},'), /forbidden key "__proto__"/],
      [{ ...good, data: { columns: { text: 't' }, rows: [{ text: 'x', score: 'high' }] } }, /data\.rows\[0\]\.score/],
    ];
    for (const [input, msg] of cases) {
      const r = importRunFile(typeof input === 'string' ? input : JSON.stringify(input));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(msg);
    }
  });
});

import { pickBest } from '../../src/core/share/schema';
describe('pickBest', () => {
  it('prefers completed trials and honours the direction', () => {
    const t = (config: string, v: number, status: 'done' | 'pruned') => ({ config, ranks: [Number(config)], params: 1, metrics: { r2: v }, status, timeMs: 0, epochs: 1 });
    const trials = [t('1', 0.5, 'done'), t('2', 0.9, 'pruned'), t('3', 0.7, 'done')];
    expect(pickBest(trials, { metric: 'r2', direction: 'max' })!.config).toBe('3');
    expect(pickBest(trials, { metric: 'r2', direction: 'min' })!.config).toBe('1');
    expect(pickBest([trials[1]], { metric: 'r2', direction: 'max' })!.config).toBe('2');
    expect(pickBest(trials, { metric: 'mse', direction: 'min' })).toBeNull();
  });
});

import { trialFromEvalRecord } from '../../src/core/share/fromSearch';
import { trialSchema } from '../../src/core/share/schema';
describe('trialFromEvalRecord', () => {
  it('maps search records to valid trials', () => {
    const rec = { index: 1, name: '8@16', key: 'k', groups: [8, 16], epochs: 3, maxEpochs: 9, params: 100, status: 'ok' as const, metrics: { mse: 0.02, bad: NaN, 'not ok': 1 }, value: 0.02 };
    const t = trialFromEvalRecord(rec, 1234, [0.03, 0.025, 0.02]);
    expect(trialSchema.safeParse(t).success).toBe(true);
    expect(t).toMatchObject({ config: '8@16', status: 'pruned', metrics: { mse: 0.02 }, timeMs: 1234 });
    expect(Object.keys(t.metrics)).toEqual(['mse']);
    expect(trialFromEvalRecord({ ...rec, epochs: 9 }).status).toBe('done');
    expect(trialFromEvalRecord({ ...rec, status: 'failed', metrics: {} }).status).toBe('failed');
  });
});
