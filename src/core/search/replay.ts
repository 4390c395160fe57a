/**
 * Replay table: past results as a CSV (`ranks,mse,...`, optional `epochs` and `seed`), used as an objective.
 * Evaluating a configuration looks up its row; a configuration missing from the table is skipped with a
 * clear reason, never invented.
 *
 * A `seed` column holds repeated trainings of one configuration with different training seeds (the only way
 * to see how much of a table is seed noise). By default an evaluation answers with the mean over the seeds
 * present (the table's best estimate); `pick` answers with one seed's row instead, which is what a search
 * that trains each configuration once would see.
 */
import Papa from 'papaparse';
import type { EvalResult, Fidelity, Objective } from './objective';
import { configName, createSpace, parseRanks, type RankConfig, type SearchSpace, type TargetShape } from './space';

export interface ReplayRow {
  /** 1-based line in the file (header = line 1). */
  line: number;
  ranks: number[];
  name: string;
  /** null = full fidelity (no epochs column or empty cell). */
  epochs: number | null;
  /** Training seed (null without a seed column or with an empty cell). */
  seed: number | null;
  metrics: Record<string, number>;
}

export interface ReplayTable {
  rows: ReplayRow[];
  /** Numeric columns other than ranks/epochs. */
  metrics: string[];
  numGroups: number;
  hasEpochs: boolean;
  hasSeeds: boolean;
  /** Largest epoch count in the table (null without epochs): rows at it count as full fidelity. */
  maxEpochs: number | null;
  /** Every rank value appearing in the table, ascending. */
  ranks: number[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse a replay CSV. Throws a one-line message naming the line and column at fault. */
export function parseReplayTable(text: string): ReplayTable {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
  });
  const fields = (parsed.meta.fields ?? []).filter((f) => f !== '');
  if (!fields.includes('ranks')) {
    throw new Error(`replay table has no 'ranks' column (found: ${fields.join(', ') || 'nothing'})`);
  }
  const dup = fields.find((f, i) => fields.indexOf(f) !== i);
  if (dup) throw new Error(`replay table has two '${dup}' columns`);
  const bad = parsed.errors.find((e) => e.code !== 'UndetectableDelimiter');
  if (bad) throw new Error(`replay table line ${(bad.row ?? 0) + 2}: ${bad.message}`);
  const data = parsed.data;
  if (data.length === 0) throw new Error('replay table has no rows');
  const hasEpochs = fields.includes('epochs');
  const hasSeeds = fields.includes('seed');
  const others = fields.filter((f) => f !== 'ranks' && f !== 'epochs' && f !== 'seed');
  // A column is a metric column when at least one cell is a number; wholly textual columns (notes) are ignored.
  const metrics = others.filter((f) => data.some((r) => NUMBER.test((r[f] ?? '').trim())));
  const rows: ReplayRow[] = [];
  const seen = new Map<string, number>();
  let numGroups = -1;
  const rankSet = new Set<number>();
  data.forEach((r, i) => {
    const line = i + 2;
    let ranks: number[];
    try {
      ranks = parseRanks(r.ranks ?? '');
    } catch (e) {
      throw new Error(`replay table line ${line}, column 'ranks': ${(e as Error).message}`);
    }
    if (numGroups < 0) numGroups = ranks.length;
    else if (ranks.length !== numGroups) {
      throw new Error(`replay table line ${line}: '${r.ranks.trim()}' has ${ranks.length} groups, earlier rows have ${numGroups}`);
    }
    let epochs: number | null = null;
    if (hasEpochs) {
      const t = (r.epochs ?? '').trim();
      if (t !== '') {
        if (!/^\d+$/.test(t) || Number(t) < 1) throw new Error(`replay table line ${line}, column 'epochs': '${t}' is not a positive integer`);
        epochs = Number(t);
      }
    }
    let seed: number | null = null;
    if (hasSeeds) {
      const t = (r.seed ?? '').trim();
      if (t !== '') {
        if (!/^-?\d+$/.test(t)) throw new Error(`replay table line ${line}, column 'seed': '${t}' is not an integer`);
        seed = Number(t);
      }
    }
    const m: Record<string, number> = {};
    for (const f of metrics) {
      const t = (r[f] ?? '').trim();
      if (t === '') continue;
      if (!NUMBER.test(t)) throw new Error(`replay table line ${line}, column '${f}': '${t}' is not a number`);
      m[f] = Number(t);
    }
    const name = configName(ranks);
    const k = `${name}|${epochs ?? ''}|${seed ?? ''}`;
    const first = seen.get(k);
    if (first !== undefined) {
      const at = `${epochs !== null ? ` at ${epochs} epochs` : ''}${seed !== null ? ` with seed ${seed}` : ''}`;
      throw new Error(`replay table line ${line} repeats ${name}${at} (first on line ${first})`);
    }
    seen.set(k, line);
    ranks.forEach((x) => rankSet.add(x));
    rows.push({ line, ranks, name, epochs, seed, metrics: m });
  });
  if (metrics.length === 0) throw new Error(`replay table has no numeric metric column besides 'ranks' (found: ${fields.join(', ')})`);
  const epochCounts = rows.map((r) => r.epochs).filter((e): e is number => e !== null);
  const maxEpochs = epochCounts.length ? Math.max(...epochCounts) : null;
  return { rows, metrics, numGroups, hasEpochs, hasSeeds, maxEpochs, ranks: [...rankSet].sort((a, b) => a - b) };
}

/** A search space matching a table: its group count, the ranks it contains, the given model shapes. */
export function spaceForTable(table: ReplayTable, numLayers: number, targets: TargetShape[], allowedRanks?: number[]): SearchSpace {
  if (table.numGroups > numLayers) {
    throw new Error(`replay table has ${table.numGroups} groups but the model has only ${numLayers} layers`);
  }
  return createSpace({ numLayers, groups: table.numGroups, allowedRanks: allowedRanks ?? table.ranks, targets });
}

/**
 * Which training seed answers an evaluation of a table with several seeds per configuration: 'mean' (the
 * default) averages every metric over the seeds present; a function returns the index (taken modulo the
 * number of seeds present, in ascending seed order) of the one seed to answer with.
 */
export type SeedPick = 'mean' | ((name: string, epochs: number | null, seeds: readonly number[]) => number);

export class ReplayObjective implements Objective {
  /** `name|epochs` (epochs 'full' for full fidelity) → the rows of every seed, ascending seed. */
  private readonly byKey = new Map<string, ReplayRow[]>();

  /**
   * @param metric when given, a row without a value for it is skipped (with its line) rather than failed.
   * @param pick how repeated seeds of one configuration answer (see SeedPick).
   */
  constructor(
    readonly table: ReplayTable,
    readonly metric?: string,
    readonly pick: SeedPick = 'mean',
  ) {
    if (metric !== undefined && !table.metrics.includes(metric)) {
      throw new Error(`replay table has no '${metric}' column (metrics: ${table.metrics.join(', ')})`);
    }
    for (const r of table.rows) {
      // Rows without epochs, or at the table's largest epoch count, are full fidelity: a table written with
      // per-epoch rows answers a search whatever its notion of "all epochs" is.
      const full = r.epochs === null || r.epochs === table.maxEpochs;
      const k = `${r.name}|${full ? 'full' : r.epochs}`;
      const list = this.byKey.get(k) ?? [];
      list.push(r);
      this.byKey.set(k, list);
    }
    for (const list of this.byKey.values()) list.sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
  }

  /** Rows (one per seed) of a configuration at a fidelity; full fidelity = no epochs or the table's largest. */
  findAll(name: string, fidelity: Fidelity): ReplayRow[] | undefined {
    if (fidelity.epochs === fidelity.maxEpochs) return this.byKey.get(`${name}|full`);
    if (fidelity.epochs === this.table.maxEpochs) return undefined;
    return this.byKey.get(`${name}|${fidelity.epochs}`);
  }

  /** The row answering a configuration at a fidelity (the first seed's when there are several). */
  find(name: string, fidelity: Fidelity): ReplayRow | undefined {
    return this.findAll(name, fidelity)?.[0];
  }

  async evaluate(config: RankConfig, fidelity: Fidelity): Promise<EvalResult> {
    if (config.groups.length !== this.table.numGroups) {
      return { status: 'skipped', reason: `${config.name} has ${config.groups.length} groups, the replay table has ${this.table.numGroups}` };
    }
    const at = fidelity.epochs === fidelity.maxEpochs ? '' : ` at ${fidelity.epochs} epochs`;
    let rows = this.findAll(config.name, fidelity);
    if (!rows) return { status: 'skipped', reason: `${config.name}${at} is not in the replay table` };
    if (this.metric !== undefined) {
      const missing = rows.find((r) => !(this.metric! in r.metrics));
      rows = rows.filter((r) => this.metric! in r.metrics);
      if (rows.length === 0) return { status: 'skipped', reason: `replay table line ${missing!.line} (${config.name}) has no '${this.metric}' value` };
    }
    if (rows.length === 1) return { status: 'ok', metrics: { ...rows[0].metrics }, info: { line: rows[0].line } };
    const seeds = rows.map((r) => r.seed ?? 0);
    if (this.pick !== 'mean') {
      const i = this.pick(config.name, rows[0].epochs, seeds);
      const row = rows[((i % rows.length) + rows.length) % rows.length];
      return { status: 'ok', metrics: { ...row.metrics }, info: { line: row.line, seed: row.seed } };
    }
    const metrics: Record<string, number> = {};
    for (const k of new Set(rows.flatMap((r) => Object.keys(r.metrics)))) {
      const vs = rows.map((r) => r.metrics[k]).filter((v) => v !== undefined);
      metrics[k] = vs.reduce((a, b) => a + b, 0) / vs.length;
    }
    return { status: 'ok', metrics, info: { lines: rows.map((r) => r.line), seeds } };
  }
}
