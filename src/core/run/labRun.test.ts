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
import { datasetFingerprint } from '../data/stats';

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
    model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: {}, datasetId: 'ds',
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

  it('a label-only dataset runs a classification-only search with accuracy and F1', async () => {
    const db = new LabDB(`c-${Math.random()}`);
    const labels = ['negative', 'neutral', 'positive'];
    const rows = demoRows(36).map((r) => ({ line: r.line, text: r.text, label: r.score > 0.2 ? 'positive' : r.score < -0.2 ? 'negative' : 'neutral' }));
    await db.datasets.put({ id: 'ds', name: 'labels', createdAt: 0, bytes: 0, fingerprint: {}, rows, mapping: { task: 'label', labels } });
    await db.runs.put({
      id: 'C', name: 'labels', createdAt: 0, updatedAt: 0, status: 'paused', settings: { ...settings, metric: 'f1', maxEvals: 2 },
      modelId: 'rank-lab/tiny-roberta', model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: {}, datasetId: 'ds',
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
