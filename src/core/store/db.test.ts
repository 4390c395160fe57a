import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { LabDB, explainStorageError } from './db';
import { PRESETS } from '../run/settings';
import type { TrialCheckpoint } from '../train/trainer';
import { TINY_SOURCE, EMPTY_FINGERPRINT } from './testkit';


describe('LabDB', () => {
  it('stores runs with trials and deletes them together, protecting datasets in use', async () => {
    const db = new LabDB(`t-${Math.random()}`);
    await db.datasets.put({ id: 'd1', name: 'x.csv', createdAt: 1, bytes: 10, fingerprint: EMPTY_FINGERPRINT, rows: [], mapping: { task: 'score' } });
    await db.runs.put({ id: 'r1', name: 'run', createdAt: 1, updatedAt: 1, status: 'running', settings: PRESETS.quick.settings, modelId: 'm', modelSource: TINY_SOURCE, datasetId: 'd1' });
    await db.trials.bulkPut([0, 1].map((i) => ({ id: `r1:${i}`, runId: 'r1', index: i, name: `${i}`, ranks: [], groupRanks: [], fidelity: 1, params: 0, status: 'done' as const, metrics: {}, epochs: [], losses: [], timeMs: 0 })));
    await db.checkpoints.put({ trialId: 'r1:1', runId: 'r1', step: 3, savedAt: 1, data: {} as TrialCheckpoint });
    expect((await db.deleteDataset('d1')).usedBy).toEqual(['run']);
    await db.deleteRun('r1');
    expect(await db.trials.count()).toBe(0);
    expect(await db.checkpoints.count()).toBe(0);
    expect((await db.deleteDataset('d1')).ok).toBe(true);
    db.close();
  });

  it('explains a full quota with what to delete', () => {
    expect(explainStorageError({ name: 'QuotaExceededError' })).toMatch(/Delete old runs/);
    expect(explainStorageError({ inner: { name: 'QuotaExceededError' } })).toMatch(/quota is full/);
  });
});
