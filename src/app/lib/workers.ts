/** Creates the workers once and hands out their Comlink proxies; the UI never imports tfjs. */
import * as Comlink from 'comlink';
import type { TrainerApi } from '../../../workers/trainer.worker';

let trainer: Comlink.Remote<TrainerApi> | undefined;

export function trainerWorker(): Comlink.Remote<TrainerApi> {
  if (!trainer) {
    const w = new Worker(new URL('../../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
    trainer = Comlink.wrap<TrainerApi>(w);
  }
  return trainer;
}

export { Comlink };
