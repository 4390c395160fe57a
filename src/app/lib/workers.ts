/** Creates the workers once and hands out their Comlink proxies; the UI never imports tfjs. */
import * as Comlink from 'comlink';
import type { TrainerApi } from '../../../workers/trainer.worker';
import type { DataApi } from '../../../workers/data.worker';

let trainer: Comlink.Remote<TrainerApi> | undefined;
let data: Comlink.Remote<DataApi> | undefined;

export function trainerWorker(): Comlink.Remote<TrainerApi> {
  if (!trainer) {
    const w = new Worker(new URL('../../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    trainer = Comlink.wrap<TrainerApi>(w);
  }
  return trainer;
}

/** Parsing, validation and tokenization of uploads (src/core/data/session.ts behind Comlink). */
export function dataWorker(): Comlink.Remote<DataApi> {
  if (!data) {
    const w = new Worker(new URL('../../../workers/data.worker.ts', import.meta.url), { type: 'module', name: 'data' });
    data = Comlink.wrap<DataApi>(w);
  }
  return data;
}

export { Comlink };
