/**
 * Main-thread view of a run: folds the worker's RunEvents into reactive state for the Run page. Holds no
 * tensors; stored trials are read from IndexedDB (store/labStore) on open so a reloaded tab shows the same table.
 */
import * as store from '../../core/store/labStore';
import type { RunRecord, TrialRecord, EpochRecord } from '../../core/store/labStore';
import type { RunEvent } from '../../core/run/labRun';
import type { EvalRecord } from '../../core/search';
import type { RunSettings } from '../../core/run/settings';
import { estimateEta } from '../../core/run/estimate';
import { trainerWorker, Comlink } from './workers';
import { runLockHeld, whenRunLockFree } from '../../core/store/runLock';

/** What the Run page shows: the stored status, or "interrupted" (no tab is training a run stored as running),
 *  or "elsewhere" (another tab of this browser is training it: it cannot be resumed here). */
export type RunViewStatus = RunRecord['status'] | 'idle' | 'elsewhere';

export class RunController {
  runId = $state<string | undefined>();
  run = $state<RunRecord | undefined>();
  status = $state<RunViewStatus>('idle');
  /** Why the run paused by itself (lost GPU device, full storage), for the Run page's banner. */
  fault = $state<RunRecord['fault']>();
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
  /** The status the worker last reported the run stopped with (it may not be stored: a full quota). */
  private stoppedAs: RunRecord['status'] | undefined;
  /** The current trial's first reported step and when it came: steps after it are timed (a resumed trial
   *  starts mid-way, and the first step includes compiling the kernels). */
  private firstStep: { step: number; at: number } | undefined;
  /** Time of the latest progress report, so the ETA is recomputed with each one. */
  private lastStepAt = $state(0);
  /** Step time measured in the previous trial, and its step count. */
  private lastMsPerStep: number | undefined;
  private lastTotalSteps: number | undefined;

  get settings(): RunSettings | undefined {
    return this.run?.settings;
  }

  /** What is left: from the current trial's own steps (so trial 1 has one too) and the finished trials; the
   *  "at most" figure is never below the remaining steps × the measured step time. */
  eta = $derived.by(() => {
    const s = this.settings;
    if (!s) return undefined;
    const finishedMs = this.trials.filter((t) => t.status === 'done' || t.status === 'failed').map((t) => t.timeMs);
    const p = this.progress;
    const first = this.firstStep;
    const current = this.current && p
      ? { step: p.step, totalSteps: p.totalSteps, stepsTimed: first ? p.step - first.step : 0, timedMs: first ? this.lastStepAt - first.at : 0 }
      : undefined;
    return estimateEta({ maxTrials: s.maxEvals, finishedMs, current, stepsPerTrial: p?.totalSteps ?? this.lastTotalSteps, msPerStep: this.lastMsPerStep });
  });

  async open(runId: string): Promise<void> {
    this.runId = runId;
    this.run = await store.getRun(runId);
    this.trials = await store.runTrials(runId);
    this.status = this.run ? await this.viewStatus(this.run) : 'idle';
    // Only a run that is training has a current trial; a stopped one shows its stored trials as they are.
    this.current = this.status === 'running' ? this.trials.find((t) => t.status === 'running') : undefined;
    this.progress = undefined;
    this.firstStep = undefined;
    this.stepLosses = [];
    this.notes = [];
    this.best = null;
    this.error = this.run?.error;
    this.fault = this.run?.fault;
  }

  /**
   * A run stored as running is training in this tab, in another tab (which holds its lock: watch for it to
   * stop), or nowhere: the tab that ran it was closed or reloaded.
   */
  private async viewStatus(run: RunRecord): Promise<RunViewStatus> {
    if (run.status !== 'running') return run.status;
    if ((await trainerWorker().runningRunId()) === run.id) return 'running';
    if (!(await runLockHeld(run.id))) return 'interrupted';
    void whenRunLockFree(run.id).then(() => {
      if (this.runId === run.id && this.status === 'elsewhere') void this.open(run.id);
    });
    return 'elsewhere';
  }

  handle(e: RunEvent): void {
    switch (e.type) {
      case 'status':
        this.status = e.status;
        this.stoppedAs = e.status === 'running' ? undefined : e.status;
        if (e.message) this.error = e.message;
        this.fault = e.fault;
        // Stopped: nothing is training any more, whatever the last progress report said.
        if (e.status !== 'running') this.clearProgress();
        break;
      case 'trial-start':
        this.rememberStepTime();
        this.current = e.trial;
        this.stepLosses = [];
        this.progress = undefined;
        this.firstStep = undefined;
        this.trialStartedAt = Date.now();
        this.upsert(e.trial);
        break;
      case 'step': {
        const now = Date.now();
        this.stepLosses.push({ step: e.step, loss: e.loss });
        this.progress = { step: e.step, totalSteps: e.totalSteps };
        this.firstStep ??= { step: e.step, at: now };
        this.lastStepAt = now;
        break;
      }
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

  /** Keep the finished trial's step time for the next trial's first moments. */
  private rememberStepTime() {
    const p = this.progress;
    const f = this.firstStep;
    if (p && f && p.step > f.step) {
      this.lastMsPerStep = (this.lastStepAt - f.at) / (p.step - f.step);
      this.lastTotalSteps = p.totalSteps;
    }
  }

  private clearProgress() {
    this.current = undefined;
    this.progress = undefined;
    this.firstStep = undefined;
  }

  /** Forget the run (it was deleted): the Run page goes back to "no run". */
  forget(): void {
    this.runId = undefined;
    this.run = undefined;
    this.status = 'idle';
    this.trials = [];
    this.stepLosses = [];
    this.best = null;
    this.memory = undefined;
    this.notes = [];
    this.error = undefined;
    this.fault = undefined;
    this.clearProgress();
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
    this.fault = undefined;
    this.stoppedAs = undefined;
    this.status = 'running';
    let failed = false;
    try {
      await trainerWorker().startRun(this.runId, Comlink.proxy((e: RunEvent) => {
        this.handle(e);
      }));
    } catch (e) {
      this.error = (e as Error).message;
      failed = true;
    }
    // The stored state is the truth once the worker has stopped (it may have been deleted meanwhile).
    if (!this.runId) return;
    const run = await store.getRun(this.runId);
    if (!run) {
      this.forget();
      return;
    }
    this.run = run;
    // With storage full even the final status may not have been written: the worker's word is then the truth
    // (the run is not running; after a reload no tab holds its lock, so it shows as interrupted).
    this.status = run.status === 'running' && this.stoppedAs ? this.stoppedAs : await this.viewStatus(run);
    // The stored reason (a fault written as the run paused) unless starting itself failed; when storage
    // refused even that write, the reason the worker sent stays.
    if (!failed) this.error = run.error ?? this.error;
    this.fault = run.fault ?? this.fault;
    this.trials = await store.runTrials(this.runId);
    this.clearProgress();
  }

  pause() {
    void trainerWorker().pause();
  }

  cancel() {
    void trainerWorker().cancel();
  }
}
