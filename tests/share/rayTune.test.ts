import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { feasibleGroupConfigs, generateRayTuneScript, importRayTuneResults, pythonJsonLiteral } from '../../src/core/share/rayTune';
import { decodeShareLink, encodeShareLink } from '../../src/core/share/shareLink';
import { sampleDoc } from './sampleDoc';
import { deriveClass } from '../../src/core/vocabulary';
import { loraParamCount, targetShapes } from '../../src/core/model/shape';
import { layerRanks } from '../../src/core/share/schema';

const PY = '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..');
const fixture = readFileSync(join(ROOT, 'tests', 'fixtures', 'share', 'raytune-results.jsonl'), 'utf8');

function writeScript(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'raytune-'));
  const p = join(dir, 'rank_lab_raytune.py');
  writeFileSync(p, src);
  return p;
}

describe('Ray Tune export', () => {
  const doc = sampleDoc();
  // A budget that cuts the 9^3 grid, so the filter is exercised.
  doc.settings.budget = Math.floor(doc.settings.budget / 3);

  it('keeps the Python program as a real .py file that compiles before any settings are put in', () => {
    const template = join(ROOT, 'src', 'core', 'share', 'rank_lab_raytune.py');
    // cfile in a temporary folder: compiling must not leave a __pycache__ in the source tree.
    const cfile = join(mkdtempSync(join(tmpdir(), 'pyc-')), 'template.pyc');
    const r = spawnSync(PY, ['-c', 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)', template, cfile], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(template, 'utf8')).toContain('json.loads(__SETTINGS_JSON__)');
  });

  it('takes the lab’s rules from the settings it is given: parameter cost and derived classes', () => {
    const p = writeScript(generateRayTuneScript(doc, { numSamples: 10000 }));
    const out = JSON.parse(execFileSync(PY, [p, '--list-configs'], { encoding: 'utf8' }));
    const shapes = targetShapes(doc.settings.targets, doc.model);
    for (const c of out.chosen) expect(c.params, c.config).toBe(loraParamCount(layerRanks(doc.settings.groups, c.group_ranks), shapes));
    const ys = [-1, -0.5, -0.4999, -0.049, -0.0489, 0, 0.049, 0.0491, 0.5, 0.5001, 1];
    const code = [
      'import importlib.util, json, sys',
      `spec = importlib.util.spec_from_file_location("rl", ${JSON.stringify(p)}); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)`,
      `print(json.dumps([m.derived_class(y) for y in ${JSON.stringify(ys)}]))`,
    ].join('\n');
    expect(JSON.parse(execFileSync(PY, ['-c', code], { encoding: 'utf8' }))).toEqual(ys.map((y) => deriveClass(y)));
  });

  it('generates a script that compiles', () => {
    const p = writeScript(generateRayTuneScript(doc));
    const r = spawnSync(PY, ['-m', 'py_compile', p], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('enumerates the same budget-feasible search space as the lab and samples it deterministically', () => {
    const p = writeScript(generateRayTuneScript(doc, { numSamples: 40 }));
    const run = () => JSON.parse(execFileSync(PY, [p, '--list-configs'], { encoding: 'utf8' }));
    const out = run();
    const feasible = feasibleGroupConfigs(doc.model, doc.settings);
    console.log(`Ray Tune export: ${feasible.length} of ${9 ** 3} group configurations fit the budget; script samples ${out.chosen.length}`);
    expect(feasible.length).toBeGreaterThan(40);
    expect(feasible.length).toBeLessThan(9 ** 3 - 1);
    expect(out.feasible).toBe(feasible.length);
    expect(out.chosen).toHaveLength(40);
    const names = new Set(feasible.map((c) => c.join('@')));
    for (const c of out.chosen) {
      expect(names.has(c.config)).toBe(true);
      expect(c.params).toBeLessThanOrEqual(doc.settings.budget);
    }
    expect(run()).toEqual(out); // same seed, same sample
    // The full space when it is small enough.
    const all = JSON.parse(execFileSync(PY, [writeScript(generateRayTuneScript(doc, { numSamples: 10000 })), '--list-configs'], { encoding: 'utf8' }));
    expect(all.chosen.map((c: { config: string }) => c.config).sort()).toEqual([...names].sort());
  });

  it('loads the demo CSV, splits 90/10 and writes a header the importer accepts (dry run, no ray needed)', () => {
    const tiny = {
      model: { id: 'rank-lab/tiny-roberta', layers: 4, hidden: 128, intermediate: 512 },
      settings: { ...doc.settings, groups: [2, 2], rankChoices: [0, 4, 8], budget: 100000 },
      dataset: { ...doc.dataset, task: 'score' as const },
    };
    const p = writeScript(generateRayTuneScript(tiny));
    const out = JSON.parse(execFileSync(PY, [p, join(ROOT, 'public', 'data', 'semeval2017-task5-microblogs.csv'), '--dry-run'], { encoding: 'utf8' }));
    expect(out.dataset.rows).toBe(1738);
    expect(out.split).toEqual({ train: 1564, val: 174 });
    const { split: _s, configs: _c, ...header } = out;
    const r = importRayTuneResults(JSON.stringify(header) + '\n');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.doc.dataset.score!.min).toBeGreaterThanOrEqual(-1);
      expect(r.doc.dataset.classes!.counts.reduce((a, b) => a + b, 0)).toBe(1738);
    }
  });

  it('computes the lab metrics like scikit-learn (weighted P/R/F1, macro F1, R²) and names a missing CSV column', () => {
    const p = writeScript(generateRayTuneScript(doc));
    const code = [
      'import importlib.util, json, sys',
      `spec = importlib.util.spec_from_file_location("rl", ${JSON.stringify(p)}); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)`,
      'from sklearn.metrics import mean_squared_error, mean_absolute_error, r2_score, precision_recall_fscore_support, accuracy_score, f1_score',
      'import numpy as np; rng = np.random.default_rng(0)',
      'y = rng.uniform(-1, 1, 200); s = y + rng.normal(0, 0.3, 200); c = rng.integers(0, 5, 200); p = np.where(rng.random(200) < 0.6, c, rng.integers(0, 6, 200))  # class 5: predicted, never true',
      'got = m.metrics_for(s.tolist(), y.tolist(), p.tolist(), c.tolist())',
      'pr, rc, f1, _ = precision_recall_fscore_support(c, p, average="weighted", zero_division=0)',
      'ref = dict(mse=mean_squared_error(y, s), mae=mean_absolute_error(y, s), rmse=mean_squared_error(y, s) ** 0.5, r2=r2_score(y, s), accuracy=accuracy_score(c, p), precision=pr, recall=rc, f1=f1, f1_macro=f1_score(c, p, average="macro", zero_division=0))',
      'print(json.dumps(max(abs(got[k] - ref[k]) for k in ref)))',
    ].join('\n');
    const diff = JSON.parse(execFileSync(PY, ['-c', code], { encoding: 'utf8' }));
    expect(diff).toBeLessThan(1e-12);
    const csv = join(mkdtempSync(join(tmpdir(), 'csv-')), 'd.csv');
    writeFileSync(csv, 'sentence,score\n"multi\nline",0.5\n');
    const r = spawnSync(PY, [p, csv, '--dry-run'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no column 'text' \(columns: sentence, score\)/);
    // One (multi-line, quoted) row: read as one row, then the 90/10 split leaves nothing to train on.
    const one = spawnSync(PY, [p, csv, '--dry-run', '--text-column', 'sentence', '--label-column', ''], { encoding: 'utf8' });
    expect(one.stderr).toMatch(/the split left no training or no validation rows/);
  });

  it('embeds settings safely: hostile text cannot escape the Python string', () => {
    const evil = "x'''\"\"\"\\\n__import__('os').system('echo pwned')\u2028😀";
    const lit = pythonJsonLiteral({ s: evil });
    const back = execFileSync(PY, ['-c', `import json,sys; sys.stdout.write(json.dumps(json.loads(${lit})))`], { encoding: 'utf8' });
    expect(JSON.parse(back)).toEqual({ s: evil });
    expect(/^[\x20-\x7e]+$/.test(lit)).toBe(true);
  });
});

describe('Ray Tune results import', () => {
  it('imports the documented format into share-doc trials and a shareable document', () => {
    const r = importRayTuneResults(fixture);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([]);
    expect(r.trials.map((t) => t.config)).toEqual(['4@4', '8@16', '16@8', '0@16', '16@16', '4@0']);
    expect(r.trials.map((t) => t.status)).toEqual(['done', 'done', 'done', 'pruned', 'pruned', 'failed']);
    expect(r.trials[1]).toMatchObject({ ranks: [8, 16], params: 24576, epochs: 9, timeMs: 455100 });
    expect(r.trials[1].curve).toHaveLength(9);
    // Best by the objective among completed trials (a pruned trial never wins on a shorter budget).
    expect(r.doc.best!.config).toBe('16@8');
    const shared = decodeShareLink(encodeShareLink(r.doc));
    expect(shared.ok && shared.doc.best!.config).toBe('16@8');
  });

  const lines = fixture.trim().split('\n');
  const mutate = (i: number, f: (o: any) => unknown) => lines.map((l, j) => (j === i ? JSON.stringify(f(JSON.parse(l))) : l)).join('\n');
  const bad: Array<[string, string, RegExp]> = [
    ['empty', '', /empty/],
    ['no header', lines.slice(1).join('\n'), /first line must be the header/],
    ['bad json', lines[0] + '\n{oops', /line 2 is not valid JSON/],
    ['wrong version', mutate(0, (o) => ({ ...o, version: 2 })), /version 2; this version of Rank Lab reads version 1/],
    ['config mismatch', mutate(2, (o) => ({ ...o, config: '1@2' })), /line 3: config "1@2" does not match/],
    ['wrong group count', mutate(2, (o) => ({ ...o, group_ranks: [8, 16, 4], config: '8@16@4' })), /line 3: 3 group ranks but .* 2 groups/],
    ['non-numeric metric', mutate(1, (o) => ({ ...o, metrics: { mse: 'low' } })), /line 2: metrics\.mse/],
    ['html in status', mutate(1, (o) => ({ ...o, status: '<img src=x onerror=alert(1)>' })), /line 2: status/],
    ['extra key', mutate(1, (o) => ({ ...o, onload: 1 })), /line 2: .*onload/],
    ['proto key', lines[0] + '\n' + lines[1].replace('{"kind"', '{"__proto__":{"a":1},"kind"'), /forbidden key "__proto__"/],
  ];
  it.each(bad)('%s → clear error', (_n, text, msg) => {
    const r = importRayTuneResults(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(msg);
  });
});
