// Faults during a run: a lost GPU device and failed writes pause the run (never "done", never left
// "running"), keep the trial's last checkpoint, say what happened, and Resume finishes the same trials.
import 'fake-indexeddb/auto';
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { LabDB, type TrialRecord } from '../store/db';
import { openModel, type ModelSession } from './modelSession';
import { runLab, type RunEvent } from './labRun';
import { PRESETS, type RunSettings } from './settings';
import { TINY_SOURCE, EMPTY_FINGERPRINT } from '../store/testkit';


const pub = new URL('../../../public/', import.meta.url);
const localFetch = (async (url: string) => new Response(readFileSync(new URL(String(url).replace(/^\//, ''), pub)))) as unknown as typeof fetch;

const rows = readFileSync(new URL('data/semeval2017-task5-microblogs.csv', pub), 'utf8')
  .split('\n')
  .slice(1, 25)
  .map((l, i) => {
    const k = l.lastIndexOf(',');
    return { line: i + 2, text: l.slice(0, k).replace(/^"|"$/g, ''), score: Number(l.slice(k + 1)) };
  });

// Two trials (grid over ranks {2, 4} in one group) of 6 steps, a checkpoint after every step.
const settings: RunSettings = { ...PRESETS.quick.settings, strategy: 'grid', allowedRanks: [2, 4], groups: 1, epochs: 1, batchSize: 4, maxLength: 16, maxEvals: 2, seed: 5 };

async function setup(runId: string): Promise<LabDB> {
  const db = new LabDB(`f-${runId}-${Math.random()}`);
  await db.datasets.put({ id: 'ds', name: 'demo', createdAt: 0, bytes: 0, fingerprint: EMPTY_FINGERPRINT, rows, mapping: { task: 'score', scoreRange: [-1, 1] } });
  await db.runs.put({
    id: runId, name: runId, createdAt: 0, updatedAt: 0, status: 'paused', settings, modelId: 'rank-lab/tiny-roberta',
    model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: TINY_SOURCE, datasetId: 'ds',
  });
  return db;
}

const quotaError = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
const trialsOf = (db: LabDB, runId: string): Promise<TrialRecord[]> => db.trials.where('runId').equals(runId).sortBy('index');

describe('faults during a run', () => {
  let session: ModelSession;
  let reference: TrialRecord[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    session = await openModel({ kind: 'url', baseUrl: '/models/tiny-roberta/', id: 'rank-lab/tiny-roberta' }, { fetch: localFetch });
    const db = await setup('ref');
    await runLab({ db, session, runId: 'ref', signal: new AbortController().signal, onEvent: () => {} });
    reference = await trialsOf(db, 'ref');
    expect(reference.map((t) => t.status)).toEqual(['done', 'done']);
  }, 600_000);

  it('a lost device pauses the run with its reason, keeps the checkpoint, and Resume finishes the same trials', async () => {
    const db = await setup('L');
    let lose!: (info: unknown) => void;
    const deviceLost = new Promise((r) => (lose = r));
    let ended = 0;
    const statuses: RunEvent[] = [];
    await runLab({
      db, session, runId: 'L', signal: new AbortController().signal, deviceLost,
      onEvent: (e) => {
        if (e.type === 'trial-end') ended++;
        if (e.type === 'status') statuses.push(e);
        if (e.type === 'step' && ended === 1 && e.step === 3) lose({ reason: 'destroyed', message: 'Device was destroyed.' });
      },
    });
    const run = (await db.runs.get('L'))!;
    expect(run.status).toBe('paused');
    expect(run.fault).toBe('device-lost');
    expect(run.error).toMatch(/GPU device was lost.*Device was destroyed.*Resume/);
    expect(statuses.at(-1)).toMatchObject({ status: 'paused', fault: 'device-lost' });
    // The second trial is not recorded as failed: it waits at its checkpoint.
    const mid = await trialsOf(db, 'L');
    expect(mid.map((t) => t.status)).toEqual(['done', 'running']);
    expect((await db.checkpoints.get(mid[1].id))!.step).toBeGreaterThanOrEqual(2);
    expect((await db.events.toArray()).filter((e) => e.event.type === 'eval')).toHaveLength(1);

    const started: string[] = [];
    await runLab({ db, session, runId: 'L', signal: new AbortController().signal, onEvent: (e) => e.type === 'trial-start' && started.push(e.trial.name) });
    const after = await trialsOf(db, 'L');
    expect((await db.runs.get('L'))!.status).toBe('done');
    expect((await db.runs.get('L'))!.fault).toBeUndefined();
    expect(started).toEqual([reference[1].name]);
    expect(after.map((t) => t.name)).toEqual(reference.map((t) => t.name));
    after.forEach((t, i) => expect(t.metrics.mse).toBeCloseTo(reference[i].metrics.mse, 6));
  }, 300_000);

  // Each kind of write fails with a full quota during the second trial; the run pauses and says so plainly.
  for (const table of ['checkpoints', 'adapters', 'trials', 'events'] as const) {
    it(`a failed ${table} write pauses the run with QuotaExceededError named, and Resume completes it`, async () => {
      const db = await setup(table);
      const t = db[table] as unknown as { put: (...a: unknown[]) => Promise<unknown> };
      const put = t.put.bind(t);
      let ended = 0;
      let fail = false;
      t.put = (...a: unknown[]) => (fail ? Promise.reject(quotaError()) : put(...a));
      const notes: string[] = [];
      await runLab({
        db, session, runId: table, signal: new AbortController().signal,
        onEvent: (e) => {
          if (e.type === 'trial-end') ended++;
          if (e.type === 'note') notes.push(e.message);
          // From the second trial's start on (its trial row is the first write then), nothing more fits.
          if (e.type === 'trial-end' && ended === 1) fail = true;
        },
      });
      const run = (await db.runs.get(table))!;
      expect(run.status).toBe('paused');
      expect(run.fault).toBe('storage');
      expect(run.error).toMatch(/QuotaExceededError.*History page/);
      expect(notes.at(-1)).toBe(run.error);
      const mid = await trialsOf(db, table);
      expect(mid[0].status).toBe('done');
      expect(mid.every((x) => x.status !== 'failed')).toBe(true);

      fail = false;
      await runLab({ db, session, runId: table, signal: new AbortController().signal, onEvent: () => {} });
      const after = await trialsOf(db, table);
      expect((await db.runs.get(table))!.status).toBe('done');
      expect(after.map((x) => x.name)).toEqual(reference.map((x) => x.name));
      after.forEach((x, i) => expect(x.metrics.mse).toBeCloseTo(reference[i].metrics.mse, 6));
      expect(await db.checkpoints.count()).toBe(0);
    }, 300_000);
  }

  it('with even the status write refused, the trial checkpoint is given up so the run is not left running', async () => {
    const db = await setup('S');
    const cp = db.checkpoints as unknown as { put: (...a: unknown[]) => Promise<unknown> };
    const cpPut = cp.put.bind(cp);
    let full = false;
    cp.put = (...a: unknown[]) => (full ? Promise.reject(quotaError()) : cpPut(...a));
    const runs = db.runs as unknown as { update: (...a: unknown[]) => Promise<unknown> };
    const update = runs.update.bind(runs);
    let refused = 0;
    // The first status write after the fault is refused; the one after dropping the checkpoint fits.
    runs.update = (...a: unknown[]) => (full && refused++ === 0 ? Promise.reject(quotaError()) : update(...a));
    await runLab({ db, session, runId: 'S', signal: new AbortController().signal, onEvent: (e) => e.type === 'step' && e.step === 3 && (full = true) });
    const run = (await db.runs.get('S'))!;
    expect(run.status).toBe('paused');
    expect(run.error).toMatch(/QuotaExceededError.*checkpoint of the trial in progress was dropped/);
    expect(await db.checkpoints.count()).toBe(0);
  }, 300_000);
});
