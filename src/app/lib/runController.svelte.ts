/**
 * Main-thread view of a run: folds the worker's RunEvents into reactive state for the Run page. Holds no
 * tensors; stored trials are read from IndexedDB (labDb) on open so a reloaded tab shows the same table.
 */
import { labDb, type RunRecord, type TrialRecord, type EpochRecord } from '../../core/store/db';
import type { RunEvent } from '../../core/run/labRun';
import type { EvalRecord } from '../../core/search';
import type { RunSettings } from '../../core/run/settings';
import { trainerWorker, Comlink } from './workers';

export class RunController {
  runId = $state<string | undefined>();
  run = $state<RunRecord | undefined>();
  status = $state<RunRecord['status'] | 'idle'>('idle');
  trials = $state<TrialRecord[]>([]);
  current = $state<TrialRecord | undefined>();
  /** Training loss per step of the current trial (every reported step). */
  stepLosses = $state<{ step: number; loss: number }[]>([]);
  progress = $state<{ step: number; totalSteps: number } | undefined>();
  best = $state<EvalRecord | null>(null);
  memory = $state<{ numTensors: number; numBytes: number } | undefined>();
  notes = $state<string[]>([]);
  error = $state<string | undefined>();
  trialStartedAt = 0;

  get settings(): RunSettings | undefined {
    return this.run?.settings as RunSettings | undefined;
  }

  /** Average wall time of finished trials, and an estimate of what is left (upper bound: max trials). */
  eta = $derived.by(() => {
    const done = this.trials.filter((t) => t.status === 'done' || t.status === 'failed');
    const s = this.settings;
    if (!s || !done.length) return undefined;
    const avg = done.reduce((a, t) => a + t.timeMs, 0) / done.length;
    const left = Math.max(0, s.maxEvals - done.length);
    let currentLeft = 0;
    if (this.progress && this.progress.step > 0) {
      const elapsed = Date.now() - this.trialStartedAt;
      currentLeft = (elapsed / this.progress.step) * (this.progress.totalSteps - this.progress.step);
    }
    return { avgTrialMs: avg, upperBoundMs: currentLeft + Math.max(0, left - (this.current ? 1 : 0)) * avg, trialsLeft: left };
  });

  async open(runId: string): Promise<void> {
    this.runId = runId;
    this.run = await labDb().runs.get(runId);
    this.trials = await labDb().trials.where('runId').equals(runId).sortBy('index');
    this.status = this.run?.status ?? 'idle';
    // A run marked running that no worker is running was interrupted (tab closed or reloaded).
    if (this.status === 'running' && !(await trainerWorker().isRunning())) this.status = 'interrupted';
    this.current = this.trials.find((t) => t.status === 'running');
    this.best = null;
    this.error = this.run?.error;
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'status':
        this.status = e.status;
        if (e.message) this.error = e.message;
        break;
      case 'trial-start':
        this.current = e.trial;
        this.stepLosses = [];
        this.progress = undefined;
        this.trialStartedAt = Date.now();
        this.upsert(e.trial);
        break;
      case 'step':
        this.stepLosses.push({ step: e.step, loss: e.loss });
        this.progress = { step: e.step, totalSteps: e.totalSteps };
        break;
      case 'epoch':
        if (this.current && this.current.id === e.trialId) {
          this.current.epochs = [...this.current.epochs, e.epoch as EpochRecord];
          this.upsert(this.current);
        }
        break;
      case 'trial-end':
        this.upsert(e.trial);
        this.best = e.best;
        this.current = undefined;
        break;
      case 'note':
        this.notes = [...this.notes.slice(-20), e.message];
        break;
      case 'memory':
        this.memory = { numTensors: e.numTensors, numBytes: e.numBytes };
        break;
      case 'done':
        this.best = e.best;
        break;
    }
  }

  private upsert(t: TrialRecord) {
    const i = this.trials.findIndex((x) => x.id === t.id);
    const copy = { ...t };
    if (i >= 0) this.trials[i] = copy;
    else this.trials = [...this.trials, copy];
  }

  /** Start or resume the open run in the training worker. Resolves when it stops. */
  async start(): Promise<void> {
    if (!this.runId) return;
    this.error = undefined;
    this.status = 'running';
    try {
      await trainerWorker().startRun(this.runId, Comlink.proxy((e: RunEvent) => {
        this.handle(e);
      }));
    } catch (e) {
      this.error = (e as Error).message;
      this.status = (await labDb().runs.get(this.runId))?.status ?? 'failed';
      if (this.status === 'running') this.status = 'interrupted';
    }
    this.run = await labDb().runs.get(this.runId);
    this.trials = await labDb().trials.where('runId').equals(this.runId).sortBy('index');
  }

  pause() {
    void trainerWorker().pause();
  }

  cancel() {
    void trainerWorker().cancel();
  }
}
