/**
 * Replay table: past results as a CSV (`ranks,mse,...`, optional `epochs`), used as an objective.
 * Evaluating a configuration looks up its row; a configuration missing from the table is skipped with a
 * clear reason, never invented.
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
  metrics: Record<string, number>;
}

export interface ReplayTable {
  rows: ReplayRow[];
  /** Numeric columns other than ranks/epochs. */
  metrics: string[];
  numGroups: number;
  hasEpochs: boolean;
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
  const others = fields.filter((f) => f !== 'ranks' && f !== 'epochs');
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
    const m: Record<string, number> = {};
    for (const f of metrics) {
      const t = (r[f] ?? '').trim();
      if (t === '') continue;
      if (!NUMBER.test(t)) throw new Error(`replay table line ${line}, column '${f}': '${t}' is not a number`);
      m[f] = Number(t);
    }
    const name = configName(ranks);
    const k = `${name}|${epochs ?? ''}`;
    const first = seen.get(k);
    if (first !== undefined) {
      throw new Error(`replay table line ${line} repeats ${name}${epochs !== null ? ` at ${epochs} epochs` : ''} (first on line ${first})`);
    }
    seen.set(k, line);
    ranks.forEach((x) => rankSet.add(x));
    rows.push({ line, ranks, name, epochs, metrics: m });
  });
  if (metrics.length === 0) throw new Error(`replay table has no numeric metric column besides 'ranks' (found: ${fields.join(', ')})`);
  return { rows, metrics, numGroups, hasEpochs, ranks: [...rankSet].sort((a, b) => a - b) };
}

/** A search space matching a table: its group count, the ranks it contains, the given model shapes. */
export function spaceForTable(table: ReplayTable, numLayers: number, targets: TargetShape[], allowedRanks?: number[]): SearchSpace {
  if (table.numGroups > numLayers) {
    throw new Error(`replay table has ${table.numGroups} groups but the model has only ${numLayers} layers`);
  }
  return createSpace({ numLayers, groups: table.numGroups, allowedRanks: allowedRanks ?? table.ranks, targets });
}

export class ReplayObjective implements Objective {
  private readonly byKey = new Map<string, ReplayRow>();

  /** @param metric when given, a row without a value for it is skipped (with its line) rather than failed. */
  constructor(
    readonly table: ReplayTable,
    readonly metric?: string,
  ) {
    if (metric !== undefined && !table.metrics.includes(metric)) {
      throw new Error(`replay table has no '${metric}' column (metrics: ${table.metrics.join(', ')})`);
    }
    for (const r of table.rows) this.byKey.set(`${r.name}|${r.epochs ?? 'full'}`, r);
  }

  /** Row for a configuration at a fidelity; rows without epochs (or at maxEpochs) are full fidelity. */
  find(name: string, fidelity: Fidelity): ReplayRow | undefined {
    if (fidelity.epochs === fidelity.maxEpochs) {
      return this.byKey.get(`${name}|full`) ?? this.byKey.get(`${name}|${fidelity.maxEpochs}`);
    }
    return this.byKey.get(`${name}|${fidelity.epochs}`);
  }

  async evaluate(config: RankConfig, fidelity: Fidelity): Promise<EvalResult> {
    if (config.groups.length !== this.table.numGroups) {
      return { status: 'skipped', reason: `${config.name} has ${config.groups.length} groups, the replay table has ${this.table.numGroups}` };
    }
    const row = this.find(config.name, fidelity);
    const at = fidelity.epochs === fidelity.maxEpochs ? '' : ` at ${fidelity.epochs} epochs`;
    if (!row) return { status: 'skipped', reason: `${config.name}${at} is not in the replay table` };
    if (this.metric !== undefined && !(this.metric in row.metrics)) {
      return { status: 'skipped', reason: `replay table line ${row.line} (${config.name}) has no '${this.metric}' value` };
    }
    return { status: 'ok', metrics: { ...row.metrics }, info: { line: row.line } };
  }
}
