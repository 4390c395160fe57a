/**
 * Small helpers for the search engine's unit tests (not used by the app): a tiny space over roberta-large
 * query/value shapes, an objective over a hand-written value table that logs every call, and event filters.
 */
import { collectSearch, runSearch } from './engine';
import type { EvalResult, Fidelity, Objective } from './objective';
import { ROBERTA_SIZES, targetShapes } from '../model/shape';
import { createSpace, type RankConfig, type SearchSpace } from './space';
import type { EvalRecord, SearchEvent, SearchOptions } from './types';

export const QV_LARGE = targetShapes(['attention.self.query', 'attention.self.value'], ROBERTA_SIZES['roberta-large']);

/** `groups` groups of one layer each (unless numLayers says otherwise) over roberta-large query+value. */
export function tinySpace(groups: number, allowedRanks: number[], numLayers = groups): SearchSpace {
  return createSpace({ numLayers, groups, allowedRanks, targets: QV_LARGE });
}

/**
 * Objective over a table name → mse (full fidelity). Lower fidelities get `lowFidelity(name, epochs)` when
 * given, else the full value. Names missing from the table are skipped. Every call is logged.
 */
export class TableObjective implements Objective {
  readonly calls: { name: string; epochs: number }[] = [];
  constructor(
    readonly table: Record<string, number>,
    readonly lowFidelity?: (name: string, epochs: number, maxEpochs: number) => number,
  ) {}

  async evaluate(config: RankConfig, fidelity: Fidelity): Promise<EvalResult> {
    this.calls.push({ name: config.name, epochs: fidelity.epochs });
    const v = this.table[config.name];
    if (v === undefined) return { status: 'skipped', reason: `${config.name} not in the table` };
    const mse = fidelity.epochs < fidelity.maxEpochs && this.lowFidelity ? this.lowFidelity(config.name, fidelity.epochs, fidelity.maxEpochs) : v;
    return { status: 'ok', metrics: { mse } };
  }
}

/** Objective over a formula of the per-group ranks (full fidelity; lower fidelities add `lowExtra`). */
export class FnObjective implements Objective {
  readonly calls: { name: string; epochs: number }[] = [];
  constructor(
    readonly fn: (groups: readonly number[]) => number,
    readonly lowExtra: (groups: readonly number[], epochs: number, maxEpochs: number) => number = () => 0,
  ) {}

  async evaluate(config: RankConfig, fidelity: Fidelity): Promise<EvalResult> {
    this.calls.push({ name: config.name, epochs: fidelity.epochs });
    const extra = fidelity.epochs < fidelity.maxEpochs ? this.lowExtra(config.groups, fidelity.epochs, fidelity.maxEpochs) : 0;
    return { status: 'ok', metrics: { mse: this.fn(config.groups) + extra } };
  }
}

export function evalRecords(events: readonly SearchEvent[]): EvalRecord[] {
  return events.flatMap((e) => (e.type === 'eval' ? [e.record] : []));
}

/** `name@epochs` per evaluation, in order: a compact trace to compare runs by. */
export function trace(events: readonly SearchEvent[]): string[] {
  return evalRecords(events).map((r) => `${r.name}@${r.epochs}`);
}

export async function runTrace(opts: SearchOptions): Promise<string[]> {
  return trace(await collectSearch(opts));
}

/** Run until `stopAfter` eval events have been received, then leave the loop (as a closed tab would). */
export async function runInterrupted(opts: SearchOptions, stopAfter: number): Promise<SearchEvent[]> {
  const out: SearchEvent[] = [];
  let n = 0;
  for await (const ev of runSearch(opts)) {
    out.push(ev);
    if (ev.type === 'eval' && ++n >= stopAfter) break;
  }
  return out;
}
