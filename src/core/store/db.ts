/**
 * The lab's IndexedDB (Dexie). Written by the workers (the data worker stores datasets; the training worker
 * runs, trials, events, checkpoints and adapters); the UI reads and deletes through store/labStore.ts only.
 * Every table is typed with what is stored in it (type-only imports from the modules that write it), so
 * readers need no casts. Schema changes go through `version(n)` with an upgrade, never by editing an
 * existing version.
 */
import Dexie, { type Table } from 'dexie';
import type { TestReport, TrivialBaseline } from '../share/schema';
import type { ModelSize } from '../model/shape';
import type { AdapterSnapshot } from '../model/adapter';
import type { StoredModelSource } from '../model/load';
import type { DataRow, StoredMappingRecord } from '../data/types';
import type { DatasetFingerprint } from '../data/fingerprint';
import type { RunSettings } from '../run/settings';
import type { TrialCheckpoint } from '../train/trainer';
import type { SearchEvent } from '../search/types';
import type { StoredTrialStatus } from '../vocabulary';

export type RunStatus = 'running' | 'paused' | 'interrupted' | 'done' | 'cancelled' | 'failed';

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  /** Settings exactly as the user chose them. */
  settings: RunSettings;
  modelId: string;
  /** Shape of the model, for results pages that have no model loaded. */
  model?: ModelSize;
  /** How to load the model again on resume (embedded url / hub id / local folder needs re-picking). */
  modelSource: StoredModelSource;
  datasetId: string;
  backend?: string;
  error?: string;
  /** Why the run paused by itself (lost GPU device, failed write); cleared when it runs again. */
  fault?: 'device-lost' | 'storage';
  best?: { name: string; metrics: Record<string, number> };
  /** The trivial baseline on the run's split (mean / majority class; written when the run starts). Absent on
   *  runs stored before it was recorded: the results document then computes it from the dataset. */
  baseline?: TrivialBaseline;
  /** Metrics on the dataset's held-out test rows (best, uniform, trivial), written when the search finishes;
   *  absent when the dataset has no test part. */
  test?: TestReport;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  metrics: Record<string, number>;
  timeMs: number;
}

export interface TrialRecord {
  /** `${runId}:${configKey}@${fidelity}`: one row per evaluated configuration and fidelity. */
  id: string;
  runId: string;
  index: number;
  name: string;
  ranks: number[];
  groupRanks: number[];
  fidelity: number;
  params: number;
  status: StoredTrialStatus;
  metrics: Record<string, number>;
  epochs: EpochRecord[];
  losses: number[];
  timeMs: number;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
}

export interface CheckpointRecord {
  /** Same id as the trial it belongs to; only the latest checkpoint per trial is kept. */
  trialId: string;
  runId: string;
  step: number;
  savedAt: number;
  /** The trainer's checkpoint (plain arrays). */
  data: TrialCheckpoint;
}

export interface AdapterRecord {
  trialId: string;
  runId: string;
  /** The adapter of a finished trial (for export and the playground). */
  snapshot: AdapterSnapshot;
}

export interface DatasetRecord {
  id: string;
  name: string;
  createdAt: number;
  bytes: number;
  fingerprint: DatasetFingerprint;
  /** The mapped rows the run trains on, so a run resumes after reload. Deletable by the user. */
  rows: DataRow[];
  mapping: StoredMappingRecord;
}

/** One search event (eval / probe / note), in order: the search's history, replayed on resume. */
export interface SearchEventRecord {
  /** `${runId}:${seq}` with seq zero-padded so keys sort in order. */
  id: string;
  runId: string;
  seq: number;
  event: SearchEvent;
}

export class LabDB extends Dexie {
  runs!: Table<RunRecord, string>;
  trials!: Table<TrialRecord, string>;
  checkpoints!: Table<CheckpointRecord, string>;
  adapters!: Table<AdapterRecord, string>;
  datasets!: Table<DatasetRecord, string>;
  events!: Table<SearchEventRecord, string>;

  constructor(name = 'rank-lab') {
    super(name);
    this.version(1).stores({
      runs: 'id, createdAt, status, datasetId',
      trials: 'id, runId, [runId+index], status',
      checkpoints: 'trialId, runId',
      adapters: 'trialId, runId',
      datasets: 'id, createdAt',
      events: 'id, runId, [runId+seq]',
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.transaction('rw', [this.runs, this.trials, this.checkpoints, this.adapters, this.events], async () => {
      await this.trials.where('runId').equals(runId).delete();
      await this.events.where('runId').equals(runId).delete();
      await this.checkpoints.where('runId').equals(runId).delete();
      await this.adapters.where('runId').equals(runId).delete();
      await this.runs.delete(runId);
    });
  }

  /** Delete a dataset only when no remaining run needs it (a run cannot resume without its data). */
  async deleteDataset(datasetId: string): Promise<{ ok: boolean; usedBy: string[] }> {
    const users = await this.runs.where('datasetId').equals(datasetId).toArray();
    if (users.length) return { ok: false, usedBy: users.map((r) => r.name) };
    await this.datasets.delete(datasetId);
    return { ok: true, usedBy: [] };
  }
}

let db: LabDB | undefined;
export function labDb(): LabDB {
  return (db ??= new LabDB());
}

/** Turn a storage failure into what the user can do about it; `what` names what was being saved. */
export function explainStorageError(e: unknown, what?: string): string {
  const err = e as { name?: string; inner?: { name?: string; message?: string }; message?: string };
  const name = err?.inner?.name ?? err?.name ?? '';
  const saving = what ? ` while saving ${what}` : '';
  if (name === 'QuotaExceededError')
    return `The browser storage quota is full (QuotaExceededError)${saving}. Delete old runs or uploaded datasets on the History page (checkpoints are the largest items), then resume.`;
  return `Saving to browser storage failed${saving}: ${name ? `${name}: ` : ''}${err?.inner?.message ?? err?.message ?? String(e)}`;
}

export async function storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean } | undefined> {
  if (typeof navigator === 'undefined' || !navigator.storage?.estimate) return undefined;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const persisted = (await navigator.storage.persisted?.()) ?? false;
  return { usage, quota, persisted };
}
