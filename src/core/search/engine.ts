/**
 * The search engine: runs one strategy against an objective and streams every evaluation as it happens.
 *
 * Strategies are plain async functions over a StrategyContext; the engine owns the cache (a configuration is
 * never evaluated twice at the same fidelity), the budget check, the evaluation limit, abort, failure
 * handling and resume. Resume works by re-running the (deterministic) strategy from the start with the same
 * seed while answering its requests from the recorded history, so a resumed run continues exactly where the
 * interrupted one stopped without retraining anything.
 */
import { RootRng } from '../util/rng';
import { toLoss, type EvalResult, type Fidelity } from './objective';
import { metricDirection, type Direction } from '../vocabulary';
import { costOf, makeConfig } from './space';
import { STRATEGIES } from './strategies';
import type { EvalRecord, SearchEvent, SearchOptions, StopReason, StrategyContext } from './types';

class StopSearch extends Error {
  constructor(readonly reason: StopReason) {
    super(`search stopped: ${reason}`);
  }
}

const MAX_SKIPS = 100_000;

function recordKey(key: string, epochs: number): string {
  return `${key}|${epochs}`;
}

/** Convert an objective's result into a record (bad results become failures with a reason). */
function toRecord(
  base: Omit<EvalRecord, 'status' | 'metrics' | 'value' | 'reason' | 'info'>,
  res: EvalResult,
  metric: string,
): EvalRecord {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(res.metrics ?? {})) if (typeof v === 'number') metrics[k] = v;
  const rec: EvalRecord = { ...base, status: res.status, metrics, value: null };
  if (res.info) rec.info = res.info;
  if (res.status === 'ok') {
    const v = metrics[metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      rec.status = 'failed';
      rec.reason = `the objective returned no finite '${metric}' (got ${Object.keys(metrics).join(', ') || 'no metrics'})`;
    } else rec.value = v;
  } else rec.reason = res.reason;
  return rec;
}

/**
 * Run a search. Yields an `eval` event per evaluation (and `probe`/`note` events), then one `done` event.
 * Breaking out of the loop stops the strategy cleanly.
 */
export async function* runSearch(opts: SearchOptions): AsyncGenerator<SearchEvent, void, void> {
  const space = opts.space;
  const metric = opts.metric ?? 'mse';
  const direction: Direction = opts.direction ?? metricDirection(metric);
  const seed = opts.seed ?? 0;
  const budget = opts.budget ?? Infinity;
  const maxEvals = opts.maxEvals ?? Infinity;
  const maxEpochs = opts.maxEpochs ?? 100;
  if (!(budget > 0)) throw new Error(`budget must be a positive number of parameters, got ${budget}`);
  if (!(maxEvals >= 1)) throw new Error(`max evaluations must be at least 1, got ${maxEvals}`);
  if (!(Number.isInteger(maxEpochs) && maxEpochs >= 1)) throw new Error(`max epochs must be a positive integer, got ${maxEpochs}`);
  const strategyName = typeof opts.strategy === 'string' ? opts.strategy : 'custom';
  const strategy = typeof opts.strategy === 'string' ? STRATEGIES[opts.strategy] : opts.strategy;
  if (!strategy) throw new Error(`unknown strategy '${String(opts.strategy)}' (known: ${Object.keys(STRATEGIES).join(', ')})`);

  // Recorded history of an interrupted run: consumed in request order, never re-evaluated.
  const pastEvals = new Map<string, EvalRecord>();
  const pastProbes = new Map<string, unknown>();
  for (const ev of opts.history ?? []) {
    if (ev.type === 'eval') pastEvals.set(recordKey(ev.record.key, ev.record.epochs), ev.record);
    else if (ev.type === 'probe') pastProbes.set(ev.label, ev.value);
  }

  const cache = new Map<string, EvalRecord>();
  const probes = new Map<string, unknown>();
  const records: EvalRecord[] = [];
  let ran = 0;
  let skipped = 0;
  let best: EvalRecord | null = null;
  let pick: EvalRecord | null = null;
  let stopReason: StopReason = 'finished';
  let stopped = false;

  // Hand-off queue: the strategy waits until the consumer has taken each event (back-pressure).
  const queue: { ev: SearchEvent; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const emit = (ev: SearchEvent): Promise<void> => {
    if (stopped) return Promise.reject(new StopSearch(stopReason));
    return new Promise<void>((resolve, reject) => {
      queue.push({ ev, resolve, reject });
      notify();
    });
  };
  const stop = (reason: StopReason): never => {
    if (!stopped) stopReason = reason;
    throw new StopSearch(stopReason);
  };

  const loss = (rec: EvalRecord | undefined) => (rec && rec.status === 'ok' && rec.value !== null ? toLoss(rec.value, direction) : null);
  const consider = (rec: EvalRecord) => {
    records.push(rec);
    if (rec.status === 'skipped') skipped++;
    else ran++;
    if (rec.status === 'ok' && rec.epochs === maxEpochs) {
      const l = loss(rec)!;
      if (!best || l < loss(best)!) best = rec;
    }
  };

  const root = new RootRng(seed);
  const rng = root.fork(`search:${strategyName}`);
  const ctx: StrategyContext = {
    space,
    budget,
    metric,
    direction,
    maxEpochs,
    maxEvals,
    root,
    rng,
    options: opts.options ?? {},
    hooks: opts.hooks,
    signal: opts.signal,
    feasible: (groups) => costOf(space, groups) <= budget,
    seen(groups, epochs = maxEpochs) {
      return cache.get(recordKey(makeConfig(space, groups).key, epochs));
    },
    loss,
    records: () => records,
    async evaluate(groups, epochs = maxEpochs) {
      if (stopped) stop(stopReason);
      if (!(Number.isInteger(epochs) && epochs >= 1 && epochs <= maxEpochs)) {
        throw new Error(`strategy asked for ${epochs} epochs; allowed 1..${maxEpochs}`);
      }
      const config = makeConfig(space, groups);
      const params = costOf(space, groups);
      if (params > budget) throw new Error(`strategy proposed ${config.name} (${params} parameters) over the budget of ${budget}`);
      const k = recordKey(config.key, epochs);
      const cached = cache.get(k);
      if (cached) return cached;
      const past = pastEvals.get(k);
      if (past) {
        cache.set(k, past);
        consider(past);
        return past;
      }
      if (ran >= maxEvals) stop('max-evals');
      if (skipped >= MAX_SKIPS) stop('too-many-skips');
      if (opts.signal?.aborted) stop('aborted');
      const fidelity: Fidelity = { epochs, maxEpochs };
      let res: EvalResult;
      try {
        res = await opts.objective.evaluate(config, fidelity, opts.signal);
      } catch (e) {
        if (opts.signal?.aborted) stop('aborted');
        res = { status: 'failed', reason: e instanceof Error ? e.message : String(e) };
      }
      if (opts.signal?.aborted) stop('aborted');
      const rec = toRecord(
        { index: records.length + 1, name: config.name, key: config.key, groups: [...config.groups], epochs, maxEpochs, params },
        res,
        metric,
      );
      cache.set(k, rec);
      consider(rec);
      await emit({ type: 'eval', record: rec, best });
      return rec;
    },
    async probe<T>(label: string, run: (signal?: AbortSignal) => Promise<T>): Promise<T> {
      if (stopped) stop(stopReason);
      if (probes.has(label)) return probes.get(label) as T;
      if (pastProbes.has(label)) {
        const v = pastProbes.get(label) as T;
        probes.set(label, v);
        return v;
      }
      if (opts.signal?.aborted) stop('aborted');
      let value: T;
      try {
        value = await run(opts.signal);
      } catch (e) {
        // A hook interrupted by the abort throws its own error: that is a stop, not a failure.
        if (opts.signal?.aborted) stop('aborted');
        throw e;
      }
      if (opts.signal?.aborted) stop('aborted');
      probes.set(label, value);
      await emit({ type: 'probe', label, value });
      return value;
    },
    async note(message) {
      await emit({ type: 'note', message });
    },
    async pick(groups) {
      const rec = cache.get(recordKey(makeConfig(space, groups).key, maxEpochs));
      if (!rec || rec.status !== 'ok') throw new Error(`strategy picked ${makeConfig(space, groups).name}, which has no full-fidelity result`);
      if (stopped) stop(stopReason);
      if (pick === rec) return;
      pick = rec;
      await emit({ type: 'pick', record: rec });
    },
  };

  let finished = false;
  let failure: unknown = null;
  const done = strategy(ctx).then(
    () => {
      finished = true;
      notify();
    },
    (e) => {
      if (!(e instanceof StopSearch)) failure = e;
      finished = true;
      notify();
    },
  );

  let inFlight: (typeof queue)[number] | undefined;
  try {
    for (;;) {
      const item = queue.shift();
      if (item) {
        inFlight = item;
        yield item.ev;
        inFlight = undefined;
        item.resolve();
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    // Consumer gone or strategy finished: release a strategy still waiting on a hand-off.
    if (!finished) {
      stopped = true;
      stopReason = 'aborted';
      inFlight?.reject(new StopSearch(stopReason));
      for (const it of queue.splice(0)) it.reject(new StopSearch(stopReason));
      await done;
    }
  }
  if (failure) throw failure;
  const ok = records.filter((r) => r.status === 'ok').length;
  yield {
    type: 'done',
    best,
    pick,
    evaluations: records.length,
    ok,
    failed: ran - ok,
    skipped,
    stopReason,
  };
}

/** Run a search to completion and collect its events (tests, benchmarks, CLI). */
export async function collectSearch(opts: SearchOptions): Promise<SearchEvent[]> {
  const out: SearchEvent[] = [];
  for await (const ev of runSearch(opts)) out.push(ev);
  return out;
}
