/**
 * Training worker: a thin Comlink layer over src/core. All tensors live here, never on the main thread.
 * The interface it exposes is `TrainerApi` (src/app/lib/trainerApi.ts mirrors it for the UI).
 */
import * as Comlink from 'comlink';
import { browserProbe } from './backends';
import { initBackend, type BackendInfo, type BackendName } from '../src/core/train/backend';

let backendInfo: BackendInfo | undefined;

const api = {
  /** Initialise tfjs once per worker (one WebGPU device per worker, reused). */
  async init(preferred: BackendName | 'auto' = 'auto'): Promise<BackendInfo> {
    if (!backendInfo) backendInfo = await initBackend(preferred, browserProbe);
    return backendInfo;
  },
};

export type TrainerApi = typeof api;
Comlink.expose(api);
