import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { labDb, type TrialRecord } from './db';
import * as store from './labStore';
import { PRESETS } from '../run/settings';
import { TINY_SOURCE, EMPTY_FINGERPRINT } from './testkit';


function run(id: string, createdAt: number, status: 'running' | 'paused' | 'done') {
  return { id, name: id, createdAt, updatedAt: createdAt, status, settings: PRESETS.quick.settings, modelId: 'm', modelSource: TINY_SOURCE, datasetId: 'd' };
}

function trial(runId: string, index: number, name: string, status: TrialRecord['status']): TrialRecord {
  return { id: `${runId}:${index}`, runId, index, name, ranks: [], groupRanks: [], fidelity: 1, params: 0, status, metrics: {}, epochs: [], losses: [], timeMs: 0 };
}

afterEach(async () => {
  await labDb().delete();
  await labDb().open();
});

describe('labStore (the UI’s reads and deletes)', () => {
  it('offers the newest run left running or paused; a finished one is not offered', async () => {
    await labDb().runs.bulkPut([run('old', 1, 'paused'), run('new', 2, 'running'), run('done', 3, 'done')]);
    expect((await store.resumableRun())?.id).toBe('new');
  });

  it('lists a run’s trials in start order and finds the finished trial of a configuration', async () => {
    await labDb().trials.bulkPut([trial('r', 2, '8@8', 'done'), trial('r', 0, '8@8', 'failed'), trial('r', 1, '4@4', 'done'), trial('x', 0, '8@8', 'done')]);
    expect((await store.runTrials('r')).map((t) => t.index)).toEqual([0, 1, 2]);
    expect((await store.finishedTrial('r', '8@8'))?.id).toBe('r:2');
    expect(await store.finishedTrial('r', '16@16')).toBeUndefined();
  });

  it('keeps a dataset a run still needs, naming that run', async () => {
    await labDb().datasets.put({ id: 'd', name: 'x.csv', createdAt: 1, bytes: 1, fingerprint: EMPTY_FINGERPRINT, rows: [], mapping: { task: 'score' } });
    await labDb().runs.put(run('r', 1, 'done'));
    expect(await store.deleteDataset('d')).toEqual({ ok: false, usedBy: ['r'] });
    await store.deleteRun('r');
    expect(await store.getRun('r')).toBeUndefined();
    expect(await store.deleteDataset('d')).toEqual({ ok: true, usedBy: [] });
    expect(await store.getDataset('d')).toBeUndefined();
  });

  it('tells a watcher about every run, newest first, and again after a change', async () => {
    const seen: string[][] = [];
    const stop = store.watchRuns((runs) => seen.push(runs.map((r) => r.id)));
    await labDb().runs.put(run('a', 1, 'done'));
    await labDb().runs.put(run('b', 2, 'done'));
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(seen.at(-1)).toEqual(['b', 'a']);
  });
});
