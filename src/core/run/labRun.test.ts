import 'fake-indexeddb/auto';
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { LabDB } from '../store/db';
import { openModel, type ModelSession } from './modelSession';
import { runLab, type RunEvent } from './labRun';
import { runToShareDoc, uniformBaseline } from './results';
import { compareWithTrivial } from './verdict';
import { PRESETS, type RunSettings } from './settings';
import { loadDataset } from '../data/dataset';
import { datasetFingerprint } from '../data/fingerprint';
import { splitRows } from '../data/split';
import { decodeShareLink, encodeShareLink } from '../share/shareLink';
import { calibrate, runEstimate } from './estimate';
import type { ModelInput } from '../model/roberta';
import type { EncodedBatch } from '../model/tokenizer';
import { TINY_SOURCE, EMPTY_FINGERPRINT } from '../store/testkit';


const pub = new URL('../../../public/', import.meta.url);
const localFetch = (async (url: string) => new Response(readFileSync(new URL(String(url).replace(/^\//, ''), pub)))) as unknown as typeof fetch;

function demoRows(n: number) {
  return readFileSync(new URL('data/semeval2017-task5-microblogs.csv', pub), 'utf8')
    .split('\n')
    .slice(1, n + 1)
    .map((l, i) => {
      const k = l.lastIndexOf(',');
      return { line: i + 2, text: l.slice(0, k).replace(/^"|"$/g, ''), score: Number(l.slice(k + 1)) };
    });
}

const settings: RunSettings = { ...PRESETS.quick.settings, allowedRanks: [2, 4], groups: 2, epochs: 1, batchSize: 8, maxLength: 24, maxEvals: 6, seed: 3 };

async function setup(db: LabDB, runId: string) {
  const rows = demoRows(40);
  const csv = 'text,score\n' + rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.score}`).join('\n');
  const fingerprint = await datasetFingerprint((await loadDataset(csv)).dataset!);
  await db.datasets.put({ id: 'ds', name: 'demo', createdAt: 0, bytes: 0, fingerprint, rows, mapping: { task: 'score', scoreRange: [-1, 1] } });
  await db.runs.put({
    id: runId, name: 'test run', createdAt: 0, updatedAt: 0, status: 'paused', settings, modelId: 'rank-lab/tiny-roberta',
    model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: TINY_SOURCE, datasetId: 'ds',
  });
}

describe('lab run orchestration (tiny model, cpu, IndexedDB)', () => {
  let session: ModelSession;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    session = await openModel({ kind: 'url', baseUrl: '/models/tiny-roberta/', id: 'rank-lab/tiny-roberta' }, { fetch: localFetch });
  });

  it('runs a coarse search to the end, stores trials, and a paused run resumes without re-running trials', async () => {
    // Uninterrupted reference run.
    const dbA = new LabDB(`a-${Math.random()}`);
    await setup(dbA, 'A');
    const eventsA: RunEvent[] = [];
    await runLab({ db: dbA, session, runId: 'A', signal: new AbortController().signal, onEvent: (e) => eventsA.push(e) });
    const trialsA = await dbA.trials.where('runId').equals('A').sortBy('index');
    expect((await dbA.runs.get('A'))!.status).toBe('done');
    expect(trialsA.length).toBeGreaterThanOrEqual(3);
    expect(trialsA.every((t) => t.status === 'done' && Number.isFinite(t.metrics.mse))).toBe(true);
    expect(trialsA.every((t) => t.timeMs > 0 && t.epochs.length === 1 && t.losses.length > 0)).toBe(true);
    expect(new Set(trialsA.map((t) => t.name)).size).toBe(trialsA.length);
    expect(eventsA.some((e) => e.type === 'step')).toBe(true);
    expect(eventsA[eventsA.length - 1].type).toBe('done');

    // Interrupted run: pause in the middle of the second trial, then resume.
    const dbB = new LabDB(`b-${Math.random()}`);
    await setup(dbB, 'B');
    const ctl = new AbortController();
    let ended = 0;
    let steps = 0;
    await runLab({
      db: dbB, session, runId: 'B', signal: ctl.signal, abortReason: () => 'pause',
      onEvent: (e) => {
        if (e.type === 'trial-end') ended++;
        if (e.type === 'step' && ended === 1 && ++steps === 3) ctl.abort();
      },
    });
    expect((await dbB.runs.get('B'))!.status).toBe('paused');
    expect(await dbB.checkpoints.count()).toBe(1);
    const startedAfterResume: string[] = [];
    await runLab({ db: dbB, session, runId: 'B', signal: new AbortController().signal, onEvent: (e) => e.type === 'trial-start' && startedAfterResume.push(e.trial.name) });
    const trialsB = await dbB.trials.where('runId').equals('B').sortBy('index');
    expect((await dbB.runs.get('B'))!.status).toBe('done');
    expect(trialsB.map((t) => t.name)).toEqual(trialsA.map((t) => t.name));
    // The finished first trial was not trained again.
    expect(startedAfterResume).not.toContain(trialsA[0].name);
    // Resumed from the checkpoint: the same metrics as the uninterrupted run.
    trialsB.forEach((t, i) => expect(t.metrics.mse).toBeCloseTo(trialsA[i].metrics.mse, 6));
    expect(await dbB.checkpoints.count()).toBe(0);

    const doc = await runToShareDoc(dbB, 'B');
    expect(doc.trials).toHaveLength(trialsB.length);
    expect(doc.best).not.toBeNull();
    expect(doc.settings.groups).toEqual([2, 2]);
    expect(doc.dataset.rows).toBe(40);
    expect(doc.dataset.score!.min).toBeGreaterThanOrEqual(-1);
    expect(uniformBaseline(doc)?.ranks.every((r, _, a) => r === a[0])).toBe(true);
    // The trivial baseline was stored with the run (mean of the training scores, majority derived class)
    // and travels in the document; the page can say whether the best trial beats it.
    const stored = (await dbB.runs.get('B'))!.baseline!;
    expect(stored.trainRows + stored.valRows).toBe(40);
    expect(stored.mean).toBeGreaterThanOrEqual(-1);
    expect(stored.majority).toBeDefined();
    expect(stored.metrics.r2).toBeLessThanOrEqual(0);
    expect(doc.baseline).toEqual(stored);
    expect(['beats', 'not-better']).toContain(compareWithTrivial(doc)!.kind);
    // A run stored before baselines were recorded: the document computes the same one from the dataset.
    await dbB.runs.update('B', { baseline: undefined });
    expect((await dbB.runs.get('B'))!.baseline).toBeUndefined();
    expect((await runToShareDoc(dbB, 'B')).baseline).toEqual(stored);
    console.log('lab run trials:', trialsA.map((t) => `${t.name} mse=${t.metrics.mse.toFixed(4)}`).join(', '), '| best', doc.best?.config);
  });

  it('trains on the Data page’s split and max length only; test rows are scored once, after the search', async () => {
    const db = new LabDB(`t-${Math.random()}`);
    const rows = demoRows(40);
    const csv = 'text,score\n' + rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.score}`).join('\n');
    const fingerprint = await datasetFingerprint((await loadDataset(csv)).dataset!);
    // The Data page decided: seed 7, 10 % validation, 20 % test, texts cut at 16 tokens. The run's own
    // seed (3), validation share (0.3) and max length (24) must not change any of that.
    const split = { splitSeed: 7, valFraction: 0.1, testFraction: 0.2, useSplitColumn: false, maxLength: 16 };
    await db.datasets.put({ id: 'ds', name: 'demo', createdAt: 0, bytes: 0, fingerprint, rows, mapping: { task: 'score', scoreRange: [-1, 1], ...split } });
    await db.runs.put({
      id: 'T', name: 'split', createdAt: 0, updatedAt: 0, status: 'paused', settings: { ...settings, valFraction: 0.3, maxEvals: 2 }, modelId: 'rank-lab/tiny-roberta',
      model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: TINY_SOURCE, datasetId: 'ds',
    });
    const parts = splitRows(rows, { seed: 7, valFraction: 0.1, testFraction: 0.2 });
    expect([parts.train.length, parts.val.length, parts.test.length]).toEqual([28, 4, 8]);
    const encode = (i: number) => session.tokenizer.encode(rows[i].text, 16).join(' ');
    const testSeqs = new Set(parts.test.map(encode));
    const valSeqs = new Set(parts.val.map(encode));
    const trainSeqs = new Set(parts.train.map(encode));

    // Every sequence that reaches a training forward pass (not the evaluations), recorded at the model.
    const model = session.model;
    const encOf = new WeakMap<ModelInput, EncodedBatch>();
    const trained = new Set<string>();
    let trainedTooLong = 0;
    const { prepareInput, forward } = model;
    model.prepareInput = function (enc: EncodedBatch) {
      const input = prepareInput.call(this, enc);
      encOf.set(input, enc);
      return input;
    };
    model.forward = function (input, opts) {
      const enc = encOf.get(input);
      if (opts.training && enc) {
        for (let b = 0; b < enc.batch; b++) {
          const len = enc.lengths[b];
          if (len > 16) trainedTooLong++;
          trained.add(Array.from(enc.inputIds.subarray(b * enc.seqLen, b * enc.seqLen + len)).join(' '));
        }
      }
      return forward.call(this, input, opts);
    };
    const totals = new Set<number>();
    try {
      await runLab({ db, session, runId: 'T', signal: new AbortController().signal, onEvent: (e) => e.type === 'step' && totals.add(e.totalSteps) });
    } finally {
      model.prepareInput = prepareInput;
      model.forward = forward;
    }
    // Steps per trial follow the Data page's train count (28 rows, batch 8, 1 epoch → 4), not the run's 0.3.
    expect([...totals]).toEqual([Math.ceil(28 / settings.batchSize)]);
    expect(trained.size).toBeGreaterThan(0);
    for (const seq of trained) {
      expect(testSeqs.has(seq)).toBe(false);
      expect(valSeqs.has(seq) && !trainSeqs.has(seq)).toBe(false);
    }
    expect([...trainSeqs].every((q) => trained.has(q))).toBe(true);
    expect(trainedTooLong).toBe(0);

    // The test rows were scored after the search: the best, the uniform it is compared with, the trivial baseline.
    const run = (await db.runs.get('T'))!;
    expect(run.status).toBe('done');
    expect(run.baseline!.trainRows).toBe(28);
    expect(run.baseline!.valRows).toBe(4);
    const test = run.test!;
    expect(test.rows).toBe(8);
    expect(test.best!.config).toBe(run.best!.name);
    expect(Number.isFinite(test.best!.metrics.mse)).toBe(true);
    expect(test.uniform!.config.split('@').every((r, _, a) => r === a[0])).toBe(true);
    expect(Number.isFinite(test.uniform!.metrics.mse)).toBe(true);
    expect(Number.isFinite(test.trivial!.mse)).toBe(true);
    // Test metrics are not the validation metrics (other rows).
    expect(test.best!.metrics.mse).not.toBe(run.best!.metrics.mse);
    const doc = await runToShareDoc(db, 'T');
    expect(doc.test).toEqual(test);
    // The test metrics travel in a share link.
    const shared = decodeShareLink(encodeShareLink(doc));
    expect(shared.ok && shared.doc.test?.best?.metrics.mse).toBeCloseTo(test.best!.metrics.mse, 5);
    expect(shared.ok && shared.doc.test?.uniform?.config).toBe(test.uniform!.config);

    // The time estimate measures real steps on the same split.
    const c = await calibrate(session, rows, { task: 'score', scoreRange: [-1, 1], ...split }, { ...settings, valFraction: 0.3 }, { datasetId: 'ds', backend: 'cpu' });
    expect(c.trainRows).toBe(28);
    expect(c.valRows).toBe(4);
    expect(c.msPerStep).toBeGreaterThan(0);
    const est = runEstimate(c, { ...settings, maxEvals: 2 });
    expect(est.stepsPerTrial).toBe(4);
    expect(est.totalMs).toBeGreaterThan(2 * 4 * c.msPerStep);
    expect(Number.isFinite(est.totalMs)).toBe(true);
  }, 300_000);

  it('a label-only dataset runs a classification-only search with accuracy and F1', async () => {
    const db = new LabDB(`c-${Math.random()}`);
    const labels = ['negative', 'neutral', 'positive'];
    const rows = demoRows(36).map((r) => ({ line: r.line, text: r.text, label: r.score > 0.2 ? 'positive' : r.score < -0.2 ? 'negative' : 'neutral' }));
    await db.datasets.put({ id: 'ds', name: 'labels', createdAt: 0, bytes: 0, fingerprint: EMPTY_FINGERPRINT, rows, mapping: { task: 'label', labels } });
    await db.runs.put({
      id: 'C', name: 'labels', createdAt: 0, updatedAt: 0, status: 'paused', settings: { ...settings, metric: 'f1', maxEvals: 2 },
      modelId: 'rank-lab/tiny-roberta', model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: TINY_SOURCE, datasetId: 'ds',
    });
    await runLab({ db, session, runId: 'C', signal: new AbortController().signal, onEvent: () => {} });
    const trials = await db.trials.where('runId').equals('C').toArray();
    expect(trials.length).toBeGreaterThan(0);
    for (const t of trials) {
      expect(t.metrics.accuracy).toBeGreaterThanOrEqual(0);
      expect(t.metrics.f1).toBeGreaterThanOrEqual(0);
      expect(t.metrics.f1_macro).toBeGreaterThanOrEqual(0);
      expect(t.metrics.mse).toBeUndefined();
    }
    const baseline = (await db.runs.get('C'))!.baseline!;
    expect(labels).toContain(baseline.majority!.name);
    expect(baseline.mean).toBeUndefined();
    expect(baseline.metrics.f1_macro).toBeLessThanOrEqual(baseline.metrics.f1);
  });
});
