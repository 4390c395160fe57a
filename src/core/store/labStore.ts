/**
 * The UI's one door to IndexedDB: the reads its pages need and the two deletes the user asks for. Runs,
 * trials, checkpoints and datasets are written by the workers only; the pages call these functions and
 * never Dexie itself, so what the UI may touch is listed here and nowhere else.
 */
import { liveQuery } from 'dexie';
import { labDb, storageEstimate, type DatasetRecord, type RunRecord, type TrialRecord } from './db';

export { storageEstimate };
export type { DatasetRecord, EpochRecord, RunRecord, TrialRecord } from './db';

/** Calls `onChange` with every run, newest first, now and after every change; returns the unsubscribe. */
export function watchRuns(onChange: (runs: RunRecord[]) => void): () => void {
  const sub = liveQuery(() => labDb().runs.orderBy('createdAt').reverse().toArray()).subscribe(onChange);
  return () => sub.unsubscribe();
}

/** Calls `onChange` with every stored dataset, newest first, now and after every change. */
export function watchDatasets(onChange: (datasets: DatasetRecord[]) => void): () => void {
  const sub = liveQuery(() => labDb().datasets.orderBy('createdAt').reverse().toArray()).subscribe(onChange);
  return () => sub.unsubscribe();
}

/**
 * Calls `onChange` after every write or delete anywhere in the lab's storage (here or in a worker), so a
 * storage figure can be measured again.
 */
export function watchStorage(onChange: () => void): () => void {
  const sub = liveQuery(async () => {
    const d = labDb();
    const counts = await Promise.all([d.runs, d.trials, d.checkpoints, d.adapters, d.datasets, d.events].map((t) => t.count()));
    const runs = await d.runs.toArray();
    return counts.join(',') + ':' + runs.reduce((m, r) => Math.max(m, r.updatedAt), 0);
  }).subscribe(() => onChange());
  return () => sub.unsubscribe();
}

/** The newest run left running or paused (a closed or reloaded tab), to offer for resumption. */
export async function resumableRun(): Promise<RunRecord | undefined> {
  const open = await labDb().runs.where('status').anyOf('running', 'paused').sortBy('createdAt');
  return open.at(-1);
}

export async function getRun(runId: string): Promise<RunRecord | undefined> {
  return labDb().runs.get(runId);
}

export async function getDataset(datasetId: string): Promise<DatasetRecord | undefined> {
  return labDb().datasets.get(datasetId);
}

/** A run's trials in the order they were started. */
export async function runTrials(runId: string): Promise<TrialRecord[]> {
  return labDb().trials.where('runId').equals(runId).sortBy('index');
}

/** The finished trial of a configuration (its adapter is the one to export or try). */
export async function finishedTrial(runId: string, config: string): Promise<TrialRecord | undefined> {
  return (await labDb().trials.where('runId').equals(runId).toArray()).find((t) => t.name === config && t.status === 'done');
}

/** Delete a run with its trials, events, checkpoints and adapters. Stop it first if it is training. */
export async function deleteRun(runId: string): Promise<void> {
  await labDb().deleteRun(runId);
}

/** Delete a dataset unless a run still needs it (then `usedBy` names those runs). */
export async function deleteDataset(datasetId: string): Promise<{ ok: boolean; usedBy: string[] }> {
  return labDb().deleteDataset(datasetId);
}
