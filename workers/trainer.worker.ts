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
import type { LoadProgress, ModelSource } from '../src/core/model/load';
import { runSmoke, type SmokeResult, type SmokeStep } from '../src/core/train/smoke';

let backendInfo: BackendInfo | undefined;
let session: ModelSession | undefined;
let sessionKey = '';

function gpuLimits() {
  return backendInfo?.gpu ? { maxBufferSize: backendInfo.gpu.maxBufferSize, maxStorageBufferBindingSize: backendInfo.gpu.maxStorageBufferBindingSize } : undefined;
}

const api = {
  /** Initialise tfjs once per worker (one WebGPU device per worker, reused for every run). */
  async init(preferred: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
    if (!backendInfo) backendInfo = await initBackend(preferred, browserProbe);
    return backendInfo;
  },

  /** Load (or reuse) a model. Hub downloads go to Cache Storage so the next load is offline. */
  async loadModel(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    await api.init();
    const key = source.kind === 'files' ? `files:${source.id}:${[...source.files.keys()].join(',')}` : JSON.stringify(source);
    if (session && key === sessionKey) return session.info;
    session?.dispose();
    session = undefined;
    const cache = source.kind === 'hub' && CacheStorageModelCache.isAvailable() ? new CacheStorageModelCache() : undefined;
    session = await openModel(source, { onProgress, cache, gpuLimits: gpuLimits() });
    sessionKey = key;
    return session.info;
  },

  /** A few optimisation steps on a handful of rows: proves this backend trains (loss falls, no leaks). */
  async smoke(rows: { text: string; score: number }[], steps: number, onStep?: (s: SmokeStep) => void): Promise<SmokeResult> {
    if (!session) throw new Error('Load a model first.');
    return runSmoke(session.model, session.tokenizer, rows, { steps, onStep });
  },

  memory(): { numTensors: number; numBytes: number; backend: string } {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, backend: tf.getBackend() };
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);
