/**
 * Training worker: a thin Comlink layer over src/core. All tensors live here, never on the main thread.
 * The UI holds a `Remote<TrainerApi>`; callbacks cross as Comlink proxies.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { browserProbe } from './backends';
import { initBackend, type BackendInfo, type BackendName } from '../src/core/train/backend';
import { openModel, type ModelInfo, type ModelSession } from '../src/core/run/modelSession';
import { CacheStorageModelCache } from '../src/core/model/cacheStorage';
import { cacheStatus, type LoadProgress, type ModelSource, type StoredModelSource } from '../src/core/model/load';
import { runSmoke, type SmokeResult, type SmokeStep } from '../src/core/diagnostics/smoke';
import { labDb } from '../src/core/store/db';
import { runLab, type RunEvent } from '../src/core/run/labRun';
import type { RunSettings } from '../src/core/run/settings';
import { predict } from '../src/core/train/trainer';
import type { AdapterSnapshot } from '../src/core/model/adapter';
import { exportPeftAdapter, importPeftAdapter } from '../src/core/share/peft';
import { runToShareDoc } from '../src/core/run/results';
import { calibrate, type Calibration } from '../src/core/run/estimate';

import type { ShareDoc } from '../src/core/share/schema';
import { withRunLock } from '../src/core/store/runLock';
import { cleanName } from '../src/core/data/textRules';

let backendInfo: BackendInfo | undefined;
let session: ModelSession | undefined;
let sessionKey = '';
let controller: AbortController | undefined;
let abortReason: 'pause' | 'cancel' | undefined;
let active: Promise<void> | undefined;
/** The run `active` is running (so a delete can stop it first). */
let activeRunId: string | undefined;
/** A calibration in progress: a run waits for it (both would train on the one model at once). */
let calibrating: Promise<unknown> | undefined;
/** The model load in progress, if any (see loadModel). */
let loading: { key: string; promise: Promise<ModelInfo> } | undefined;
/** PEFT adapters imported for the playground (kept in this worker only). */
const imported = new Map<string, AdapterSnapshot>();

type LostInfo = { reason?: string; message?: string };
type DeviceLike = { lost?: Promise<LostInfo> };
/** The WebGPU factory registered at import: a lost device is replaced by registering it again. */
const webgpuFactory = tf.findBackendFactory('webgpu');
/** Settles when the current WebGPU device is lost (undefined off WebGPU); runs pause on it. */
let deviceLost: Promise<LostInfo> | undefined;
/** Set once the current device is lost: the next run re-creates the backend first. */
let lostDevice: LostInfo | undefined;
let watchedDevice: DeviceLike | undefined;

function watchDevice(): void {
  deviceLost = undefined;
  lostDevice = undefined;
  watchedDevice = undefined;
  if (tf.getBackend() !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: DeviceLike }).device;
  if (!device?.lost) return;
  watchedDevice = device;
  deviceLost = device.lost.then((info) => {
    if (watchedDevice === device) lostDevice = info ?? {};
    return info ?? {};
  });
}

/** After a lost device: drop the model (its weights lived there) and make a new device for the same backend. */
async function recreateBackend(): Promise<void> {
  const name = backendInfo?.backend ?? 'auto';
  try {
    session?.dispose();
  } catch {
    // The weights' buffers went with the device.
  }
  session = undefined;
  sessionKey = '';
  if (name === 'webgpu' && webgpuFactory) {
    const registry = (tf.engine() as unknown as { registry: Record<string, { dispose(): void }> }).registry;
    const dead = registry.webgpu;
    if (dead) {
      const dispose = dead.dispose.bind(dead);
      dead.dispose = () => {
        try {
          dispose();
        } catch {
          // Releasing buffers of a destroyed device may throw; they are gone either way.
        }
      };
    }
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', webgpuFactory, 3);
  }
  backendInfo = await initBackend(name, browserProbe);
  watchDevice();
}

/** What is stored of a model source with a run: a picked folder cannot be stored, only its name. */
function storableSource(source: ModelSource): StoredModelSource {
  return source.kind === 'files' ? { kind: 'files', id: source.id } : source;
}

function gpuLimits() {
  return backendInfo?.gpu ? { maxBufferSize: backendInfo.gpu.maxBufferSize, maxStorageBufferBindingSize: backendInfo.gpu.maxStorageBufferBindingSize } : undefined;
}

/** A run's training, with its lock held (startRun). A lost device is replaced first. */
async function trainRun(runId: string, onEvent: (e: RunEvent) => void): Promise<void> {
  if (lostDevice) await recreateBackend();

  const run = await labDb().runs.get(runId);
  if (!run) throw new Error('This run is no longer in browser storage.');
  const src = run.modelSource;
  if (!session || session.info.id !== run.modelId) {
    if (src.kind === 'files') throw new Error(`This run used the local folder "${src.id}". Load that folder again on the Model page, then resume.`);
    await api.loadModel(src);
  }
  await calibrating?.catch(() => undefined);
  if (active) throw new Error('A search is already running in this tab. Pause or cancel it first.');
  controller = new AbortController();
  abortReason = undefined;
  active = runLab({ db: labDb(), session: session!, runId, signal: controller.signal, onEvent, abortReason: () => abortReason, deviceLost });
  activeRunId = runId;
  try {
    await active;
  } finally {
    active = undefined;
    activeRunId = undefined;
    controller = undefined;
  }
}

const api = {
  /** Initialise tfjs once per worker (one WebGPU device per worker, reused for every run). */
  async init(preferred: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
    if (!backendInfo) {
      backendInfo = await initBackend(preferred, browserProbe);
      watchDevice();
    }
    return backendInfo;
  },

  /** Switch to another backend (the user's choice); the loaded model is dropped and must be loaded again. */
  async switchBackend(name: BackendName | 'auto'): Promise<BackendInfo> {
    if (active) throw new Error('Pause or cancel the running search before switching backends.');
    session?.dispose();
    session = undefined;
    sessionKey = '';
    backendInfo = await initBackend(name, browserProbe);
    watchDevice();
    return backendInfo;
  },

  /** Load (or reuse) a model. Hub downloads go to Cache Storage so the next load is offline. */
  async loadModel(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    await api.init();
    if (lostDevice) await recreateBackend();
    const key = source.kind === 'files' ? `files:${source.id}:${[...source.files.keys()].join(',')}` : JSON.stringify(source);
    // One load at a time. After a reload the page loads the model while Resume asks for it too: two
    // interleaved loads of one model broke the download ("interrupted … network error") and the resumed run
    // stopped at once. A second caller of the same model shares the load; another model waits its turn.
    while (loading) {
      if (loading.key === key) return loading.promise;
      await loading.promise.catch(() => undefined);
    }
    if (session && key === sessionKey) return session.info;
    const promise = (async () => {
      session?.dispose();
      session = undefined;
      sessionKey = '';
      const cache = source.kind === 'hub' && CacheStorageModelCache.isAvailable() ? new CacheStorageModelCache() : undefined;
      session = await openModel(source, { onProgress, cache, gpuLimits: gpuLimits() });
      sessionKey = key;
      return session.info;
    })();
    loading = { key, promise };
    try {
      return await promise;
    } finally {
      if (loading?.promise === promise) loading = undefined;
    }
  },

  /** Which files of a hub model are already in this browser's cache (before downloading anything). */
  async cacheStatus(source: ModelSource): Promise<{ file: string; cached: boolean }[]> {
    if (source.kind !== 'hub' || !CacheStorageModelCache.isAvailable()) return [];
    return cacheStatus(source, new CacheStorageModelCache());
  },

  /** A few optimisation steps on a handful of rows: proves this backend trains (loss falls, no leaks). */
  async smoke(rows: { text: string; score: number }[], steps: number, onStep?: (s: SmokeStep) => void): Promise<SmokeResult> {
    if (!session) throw new Error('Load a model first.');
    return runSmoke(session.model, session.tokenizer, rows, { steps, onStep });
  },

  /** Create a run record (settings exactly as chosen) for the loaded model and a stored dataset. */
  async createRun(input: { name: string; settings: RunSettings; datasetId: string; source: ModelSource }): Promise<string> {
    if (!session) throw new Error('Load a model first.');
    const id = `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    const now = Date.now();
    await labDb().runs.put({
      id, name: cleanName(input.name), createdAt: now, updatedAt: now, status: 'paused', settings: input.settings,
      modelId: session.info.id,
      model: { layers: session.info.summary.layers, hidden: session.info.summary.hidden, intermediate: session.info.summary.intermediate },
      modelSource: storableSource(input.source), datasetId: input.datasetId, backend: tf.getBackend(),
    });
    return id;
  },

  /**
   * Run (or resume) a search; resolves when it finishes, is paused or cancelled. Events stream to onEvent.
   * Only one tab trains a run: another tab holding its lock makes this throw at once.
   */
  async startRun(runId: string, onEvent: (e: RunEvent) => void): Promise<void> {
    if (active) throw new Error('A search is already running in this tab. Pause or cancel it first.');
    await withRunLock(runId, () => trainRun(runId, onEvent));
  },

  /** Cancel the run if it is the one running here and wait until it has stopped (before deleting it). */
  async stopRun(runId: string): Promise<void> {
    if (!active || activeRunId !== runId) return;
    const running = active;
    abortReason = 'cancel';
    controller?.abort();
    await running.catch(() => undefined);
  },

  /** The run being trained in this worker, if any. */
  runningRunId(): string | undefined {
    return activeRunId;
  },

  /** Time a few training steps of the largest configuration these settings allow, on this backend. */
  async calibrate(datasetId: string, settings: RunSettings): Promise<Calibration> {
    if (active) throw new Error('A search is running: the estimate is measured when the lab is idle.');
    if (!session) throw new Error('Load a model first.');
    const ds = await labDb().datasets.get(datasetId);
    if (!ds) throw new Error('The dataset is no longer in browser storage: use it again on the Data page.');
    await calibrating?.catch(() => undefined);
    const p = calibrate(session, ds.rows, ds.mapping, settings, { datasetId, backend: tf.getBackend() });
    calibrating = p;
    try {
      return await p;
    } finally {
      if (calibrating === p) calibrating = undefined;
    }
  },

  pause(): void {
    abortReason = 'pause';
    controller?.abort();
  },

  cancel(): void {
    abortReason = 'cancel';
    controller?.abort();
  },

  isRunning(): boolean {
    return !!active;
  },

  /** Predictions of a stored trial's adapter (the playground). */
  async predict(trialId: string, texts: string[], maxLength = 128): Promise<{ score?: number; probs?: number[]; classNames: string[] }[]> {
    if (!session) throw new Error('Load a model first.');
    const snap = imported.get(trialId) ?? (await labDb().adapters.get(trialId))?.snapshot;
    if (!snap) throw new Error('This trial has no stored adapter (it failed, or its adapter was too large to keep).');
    if (snap.baseModel !== session.info.id) throw new Error(`This adapter was trained on ${snap.baseModel}; load that model first (loaded: ${session.info.id}).`);
    const out = await predict(session.model, snap, texts.map((t) => session!.tokenizer.encode(t, maxLength)));
    return out.map((o) => ({ ...o, classNames: snap.classNames }));
  },

  /** Check a PEFT adapter (zip bytes) against the loaded model and keep it for the playground. */
  async importAdapter(bytes: Uint8Array, name: string): Promise<{ id: string; ranks: number[]; targets: string[]; warnings: string[] }> {
    if (!session) throw new Error('Load the adapter\'s base model first (Model page).');
    const s = session.info.summary;
    const res = importPeftAdapter(bytes, { baseModel: session.info.id, layers: s.layers, hidden: s.hidden, intermediate: s.intermediate });
    if (!res.ok) throw new Error(res.error);
    const id = `imported:${name}`;
    imported.set(id, res.snapshot);
    return { id, ranks: res.snapshot.ranks, targets: res.snapshot.targets, warnings: res.warnings };
  },

  /** A PEFT zip of a stored trial's adapter. */
  async exportAdapter(trialId: string): Promise<Uint8Array> {
    const rec = await labDb().adapters.get(trialId);
    if (!rec) throw new Error('This trial has no stored adapter (it failed, or its adapter was too large to keep).');
    const zip = exportPeftAdapter(rec.snapshot);
    return Comlink.transfer(zip, [zip.buffer as ArrayBuffer]);
  },

  /** The run as a results document (what the results page renders and the share link carries). */
  async resultsDoc(runId: string): Promise<ShareDoc> {
    return runToShareDoc(labDb(), runId);
  },

  memory(): { numTensors: number; numBytes: number; backend: string } {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);
