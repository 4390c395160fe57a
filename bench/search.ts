/**
 * Search benchmark: every strategy side by side with an outside anchor, Optuna (TPE, random, QMC, CMA-ES, driven from
 * Python by bench/optuna_search.py over the very same tables), on synthetic landscapes, noisy ones whose
 * noise equals the spread between configurations, and the replay table(s) in tests/fixtures.
 *
 * Per run it measures, in full-training equivalents (a 4-epoch halving trial counts 0.04; every evaluation
 * is of a new configuration, so this counts unique configurations):
 *   - evaluations until a top-3 configuration (by noiseless value / table value, within budget) has been
 *     evaluated at full fidelity ("to top-3": median and 90th percentile over seeds; > cap when never);
 *   - the table rank (1 = best) of the incumbent after 12 evaluations;
 *   - the regret of the incumbent after 16 evaluations, in % of the gap between the optimum and the median.
 * The incumbent is the strategy's own pick where it names one (bayes: the evaluated configuration of lowest
 * posterior mean), else the best observed value, so on noisy landscapes a lucky draw can mislead it, as in life;
 * --no-picks scores every strategy by its best observed value. Optuna's samplers are scored by best observed.
 *
 *   npm run bench:search [-- --seeds 20 --strategies bayes,random --scenarios 3g/bowl,replay-3groups
 *                            --samplers tpe,random,qmc,cmaes,tpe-int --no-optuna --no-picks --pruning-seeds 5 --json --save FILE
 *                            --set key=value]
 * adalora and salientlora (a pruning run each, the slow part) run on the first --pruning-seeds seeds (5).
 * --json prints the report as JSON instead of the table (∞ = null); --save FILE writes it as well.
 * Default samplers: tpe, random, qmc, cmaes (CMA-ES over the rank index; tpe-int, TPE over the ordered rank
 * index, on request).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  configName,
  createLandscape,
  createSpace,
  enumerateConfigs,
  makeConfig,
  parseReplayTable,
  ReplayObjective,
  runSearch,
  spaceForTable,
  STRATEGIES_NEEDING_HOOKS,
  STRATEGY_NAMES,
  SyntheticObjective,
  syntheticHooks,
  uniformCost,
  type LandscapeName,
  type Objective,
  type SearchSpace,
  type StrategyName,
  type TrainingHooks,
} from '../src/core/search';
import { hashString, Rng } from '../src/core/util/rng';
import { ROBERTA_SIZES, targetShapes } from '../src/core/model/shape';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RANKS = [128, 256, 384, 512];
const TARGETS = targetShapes(['attention.self.query', 'attention.self.value'], ROBERTA_SIZES['roberta-large']);
const OPTUNA_SAMPLERS = ['tpe', 'tpe-int', 'random', 'qmc', 'cmaes'] as const;

// ---------------------------------------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
const argOf = (n: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SEEDS = Number(argOf('seeds') ?? 20);
const STRATS = (argOf('strategies')?.split(',') ?? [...STRATEGY_NAMES]) as StrategyName[];
const ONLY = argOf('scenarios')?.split(',');
const SAMPLERS = argv.includes('--no-optuna') ? [] : (argOf('samplers')?.split(',') ?? ['tpe', 'random', 'qmc', 'cmaes']);
const JSON_OUT = argv.includes('--json');
/** --no-picks: score every strategy by its best observed value, ignoring the picks a model-based one names. */
const PICKS = !argv.includes('--no-picks');
/** adalora and salientlora each train with pruning (≈ 1.5 s per run on the synthetic hooks): fewer seeds by default. */
const PRUNING_SEEDS = Math.min(SEEDS, Number(argOf('pruning-seeds') ?? 5));
/** --save FILE: also write the JSON report there (with the table on stdout). */
const SAVE = argOf('save');
/** --set key=value,key=value: strategy options, for tuning experiments. */
const OPTIONS: Record<string, number | string> = Object.fromEntries(
  (argOf('set')?.split(',') ?? []).map((kv) => {
    const [k, v] = kv.split('=');
    return [k, Number.isFinite(Number(v)) ? Number(v) : v];
  }),
);
for (const s of STRATS) if (!(STRATEGY_NAMES as readonly string[]).includes(s)) throw new Error(`unknown strategy '${s}'`);
for (const s of SAMPLERS) if (!(OPTUNA_SAMPLERS as readonly string[]).includes(s)) throw new Error(`unknown Optuna sampler '${s}'`);

// ---------------------------------------------------------------------------------------------- scenarios
interface Scenario {
  label: string;
  family: string;
  /** Evaluation cap of a run (and the "> cap" of never reaching a top-3 configuration). */
  maxEvals: number;
  /** One seeded problem: the landscape (synthetic: seed-dependent) and the objective a strategy sees. */
  problem(seed: number): Problem;
}

interface Problem {
  space: SearchSpace;
  budget: number;
  /** Epochs of a full-fidelity evaluation. */
  maxEpochs: number;
  objective: Objective;
  hooks?: TrainingHooks;
  /** Noiseless value of every evaluable grid configuration within budget (lower is better). */
  truth: Map<string, number>;
  /** Noiseless value of any configuration, off the grid too (fine search tries r ± kδ); synthetic only. */
  offGrid?: (name: string) => number;
  /** False when low-fidelity evaluations cannot be answered (replay tables without an epochs column). */
  multiFidelity: boolean;
  /** Training seeds per configuration in a real table (1 otherwise). */
  seedsPerConfig?: number;
}

function synthetic(groups: number, landscape: LandscapeName, opts: { budgetRank?: number; noise?: 'spread' } = {}): Scenario {
  const space = createSpace({ numLayers: 24, groups, allowedRanks: RANKS, targets: TARGETS });
  const budget = opts.budgetRank ? uniformCost(space, opts.budgetRank) : Infinity;
  const label = `${groups}g/${landscape}${opts.budgetRank ? `≤u${opts.budgetRank}` : ''}${opts.noise ? '+noise=spread' : ''}`;
  return {
    label,
    family: `${groups} groups × {${RANKS.join(',')}} (${RANKS.length ** groups} configurations), ${opts.noise ? 'noise std = spread of the values' : 'low noise (2 % of the scale)'}`,
    maxEvals: Math.min(RANKS.length ** groups, 64),
    problem(seed) {
      let land = createLandscape(landscape, space, seed);
      const truth = new Map<string, number>();
      for (const g of enumerateConfigs(space, budget)) truth.set(configName(g), land.value(g));
      if (opts.noise === 'spread') {
        const vs = [...truth.values()];
        const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
        const spread = Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length);
        const unit = createLandscape(landscape, space, seed, 1).noiseStd;
        land = createLandscape(landscape, space, seed, spread / unit);
      }
      const offGrid = (name: string) => land.value(name.split('@').map(Number));
      return { space, budget, maxEpochs: 100, objective: new SyntheticObjective(land, seed), hooks: syntheticHooks(land, seed), truth, offGrid, multiFidelity: true };
    },
  };
}

/**
 * A replay table as a scenario. Truth: the mean over the table's training seeds at full fidelity (the table's
 * best estimate). What a run sees: with several seeds per configuration, one seed's row per configuration,
 * drawn per run (each configuration trained once, as a search would); otherwise the table's value.
 */
function replay(file: string, family: string): Scenario {
  const table = parseReplayTable(readFileSync(join(ROOT, file), 'utf8'));
  const metric = 'mse';
  const space = spaceForTable(table, 24, TARGETS);
  const maxEpochs = table.maxEpochs ?? 100;
  const mean = new ReplayObjective(table, metric);
  const truth = new Map<string, number>();
  for (const r of table.rows) {
    if (truth.has(r.name) || !(metric in r.metrics)) continue;
    const found = mean.findAll(r.name, { epochs: maxEpochs, maxEpochs });
    if (found) truth.set(r.name, found.reduce((a, x) => a + x.metrics[metric], 0) / found.length);
  }
  const name = file.split('/').pop()!.replace(/\.csv$/, '');
  const seeds = new Set(table.rows.map((r) => r.seed)).size;
  return {
    label: name,
    family,
    maxEvals: truth.size,
    problem: (seed) => ({
      space,
      budget: Infinity,
      maxEpochs,
      objective: new ReplayObjective(table, metric, (config, epochs) => hashString(`${seed}|${config}|${epochs}`)),
      truth,
      multiFidelity: table.hasEpochs,
      seedsPerConfig: seeds,
    }),
  };
}

/**
 * A one-value-per-configuration table with Gaussian noise of std = the between-configuration spread added to
 * every evaluation (seeded per run and configuration): the noise-dominated case of a real table whose
 * differences are mostly seed noise, scored against the table's own values.
 */
function replayNoisy(file: string): Scenario {
  const base = replay(file, '');
  return {
    ...base,
    label: `${base.label}+noise=spread`,
    family: `replay table ${file} with noise std = spread of its values`,
    problem(seed) {
      const p = base.problem(seed);
      const vs = [...p.truth.values()];
      const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
      const spread = Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length);
      const inner = p.objective;
      const objective: Objective = {
        async evaluate(config, fidelity, signal) {
          const res = await inner.evaluate(config, fidelity, signal);
          if (res.status !== 'ok') return res;
          const z = new Rng(hashString(`noise|${seed}|${config.name}|${fidelity.epochs}`)).normal();
          return { ...res, metrics: { ...res.metrics, mse: res.metrics.mse + spread * z } };
        },
      };
      return { ...p, objective };
    },
  };
}

/** Real tables: every CSV in bench/landscapes (see its README), one family each. */
function realTables(): Scenario[] {
  const dir = join(ROOT, 'bench/landscapes');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    const table = parseReplayTable(readFileSync(join(dir, f), 'utf8'));
    const seeds = [...new Set(table.rows.map((r) => r.seed))].length;
    const configs = new Set(table.rows.map((r) => r.name)).size;
    return replay(
      `bench/landscapes/${f}`,
      `real table bench/landscapes/${f}: ${configs} configurations × ${seeds} training seeds, ${table.numGroups} groups × {${table.ranks.join(',')}}, one seed's value per configuration and run`,
    );
  });
}

const SCENARIOS: Scenario[] = [
  ...(['bowl', 'paper', 'coupled', 'twopeaks'] as const).map((l) => synthetic(3, l)),
  synthetic(3, 'monotone', { budgetRank: 320 }),
  ...(['bowl', 'paper'] as const).map((l) => synthetic(3, l, { noise: 'spread' })),
  ...(['bowl', 'paper', 'coupled', 'twopeaks'] as const).map((l) => synthetic(4, l)),
  synthetic(4, 'monotone', { budgetRank: 320 }),
  ...(['bowl', 'paper'] as const).map((l) => synthetic(4, l, { noise: 'spread' })),
  replay('tests/fixtures/replay-3groups.csv', 'replay table tests/fixtures/replay-3groups.csv (RoBERTa-large, one value per configuration)'),
  replayNoisy('tests/fixtures/replay-3groups.csv'),
  ...realTables(),
];

// ---------------------------------------------------------------------------------------------- scoring
interface Step {
  name: string;
  /** Fraction of a full training (1 for a full-fidelity evaluation). */
  cost: number;
  /** Observed value at full fidelity, null for low-fidelity or failed evaluations. */
  value: number | null;
  /** The strategy's own pick once this step is done (its last 'pick' event so far), if it makes picks. */
  pick?: string;
}

interface RunResult {
  toTop3: number;
  rank12: number;
  regret16: number;
}

/** The truth a run is scored against: ranks, top-3 and regret scale. */
class Judge {
  readonly ranked: string[];
  readonly rank = new Map<string, number>();
  readonly top3: Set<string>;
  private readonly opt: number;
  private readonly median: number;
  private readonly worst: number;
  constructor(
    readonly truth: Map<string, number>,
    private readonly offGrid?: (name: string) => number,
  ) {
    this.ranked = [...truth.keys()].sort((a, b) => truth.get(a)! - truth.get(b)! || (a < b ? -1 : 1));
    this.ranked.forEach((n, i) => this.rank.set(n, i + 1));
    this.top3 = new Set(this.ranked.slice(0, 3));
    this.opt = truth.get(this.ranked[0])!;
    this.median = truth.get(this.ranked[Math.floor(this.ranked.length / 2)])!;
    this.worst = truth.get(this.ranked[this.ranked.length - 1])!;
  }
  private value(name: string): number {
    const v = this.truth.get(name) ?? this.offGrid?.(name);
    if (v === undefined) throw new Error(`no true value for ${name}`);
    return v;
  }
  /** Rank among the grid configurations; an off-grid one ranks after the grid configurations better than it. */
  rankOf(name: string | null): number {
    if (name === null) return this.ranked.length;
    const r = this.rank.get(name);
    if (r !== undefined) return r;
    const v = this.value(name);
    return 1 + this.ranked.filter((n) => this.truth.get(n)! < v).length;
  }
  regretOf(name: string | null): number {
    return ((name === null ? this.worst : this.value(name)) - this.opt) / (this.median - this.opt);
  }
  /** Enough seen: a top-3 configuration found and the 16-evaluation marks passed. */
  done(steps: Step[]): boolean {
    const r = this.score(steps);
    return r.toTop3 !== Infinity && steps.reduce((a, s) => a + s.cost, 0) >= 16 - 1e-9;
  }
  score(steps: readonly Step[]): RunResult {
    let cost = 0;
    let toTop3 = Infinity;
    let inc: { name: string; value: number } | null = null;
    let rank12: number | null = null;
    let regret16: number | null = null;
    for (const s of steps) {
      if (rank12 === null && cost + s.cost > 12 + 1e-9) rank12 = this.rankOf(inc?.name ?? null);
      if (regret16 === null && cost + s.cost > 16 + 1e-9) regret16 = this.regretOf(inc?.name ?? null);
      cost += s.cost;
      if (s.value !== null) {
        if (!inc || s.value < inc.value) inc = { name: s.name, value: s.value };
        if (toTop3 === Infinity && this.top3.has(s.name)) toTop3 = cost;
      }
      // A strategy that names its pick is scored by it (unless --no-picks).
      if (s.pick !== undefined) inc = { name: s.pick, value: -Infinity };
    }
    return { toTop3, rank12: rank12 ?? this.rankOf(inc?.name ?? null), regret16: regret16 ?? this.regretOf(inc?.name ?? null) };
  }
}

function applicable(sc: Scenario, p: Problem, strategy: StrategyName): boolean {
  if (STRATEGIES_NEEDING_HOOKS.includes(strategy) && !p.hooks) return false;
  if (strategy === 'halving' && !p.multiFidelity) return false;
  return true;
}

async function runStrategy(sc: Scenario, p: Problem, judge: Judge, strategy: StrategyName, seed: number): Promise<RunResult> {
  const steps: Step[] = [];
  for await (const ev of runSearch({
    space: p.space,
    objective: p.objective,
    hooks: p.hooks,
    strategy,
    seed,
    budget: p.budget,
    maxEpochs: p.maxEpochs,
    maxEvals: sc.maxEvals,
    options: OPTIONS,
  })) {
    if (ev.type === 'pick' && PICKS) {
      const last = steps[steps.length - 1];
      if (last) last.pick = ev.record.name;
      continue;
    }
    if (ev.type !== 'eval' || ev.record.status === 'skipped') continue;
    // Checked before taking the next evaluation, so that the pick made after the last scored one is seen.
    if (judge.done(steps)) break;
    const r = ev.record;
    // A pick holds until the strategy names another.
    const pick = steps[steps.length - 1]?.pick;
    steps.push({ name: r.name, cost: r.epochs / r.maxEpochs, value: r.status === 'ok' && r.epochs === r.maxEpochs ? r.value : null, pick });
  }
  return judge.score(steps);
}

// ---------------------------------------------------------------------------------------------- Optuna
interface OptunaProblem {
  id: string;
  seed: number;
  groups: number;
  ranks: number[];
  /** Observed full-fidelity value of every evaluable configuration (what a strategy would see). */
  values: Record<string, number>;
  top3: string[];
  maxEvals: number;
  minEvals: number;
}

type OptunaSequences = Map<string, Map<string, string[]>> & { version?: string; seconds?: number };

/**
 * Starts bench/optuna_search.py over every problem (it uses every core); resolves to sampler → problem id →
 * evaluated names, or to a line saying why Optuna did not run.
 */
function runOptuna(problems: OptunaProblem[]): Promise<OptunaSequences | string> {
  const t = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'rank-bench-'));
  const input = join(dir, 'problems.json');
  writeFileSync(input, JSON.stringify({ samplers: SAMPLERS, problems }));
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const done = (r: OptunaSequences | string) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(r);
    };
    const py = spawn('/usr/bin/python3', [join(ROOT, 'bench/optuna_search.py'), input], { stdio: ['ignore', 'pipe', 'pipe'] });
    py.stdout.on('data', (b: Buffer) => out.push(b));
    py.stderr.on('data', (b: Buffer) => err.push(b));
    py.on('error', (e) => done(`Optuna anchor not run (/usr/bin/python3: ${e.message}); install it with apt-get install python3-optuna`));
    py.on('close', (code) => {
      if (code !== 0) {
        const why = Buffer.concat(err).toString().trim().split('\n').slice(-3).join(' | ');
        const hint = /No module named 'optuna'/.test(why) ? '; install it with apt-get install python3-optuna' : '';
        done(`Optuna anchor not run (bench/optuna_search.py exited ${code}: ${why})${hint}`);
        return;
      }
      const parsed = JSON.parse(Buffer.concat(out).toString()) as { optuna: string; results: { sampler: string; id: string; sequence: string[] }[] };
      const m: OptunaSequences = new Map<string, Map<string, string[]>>();
      m.version = parsed.optuna;
      m.seconds = (performance.now() - t) / 1000;
      for (const r of parsed.results) {
        if (!m.has(r.sampler)) m.set(r.sampler, new Map());
        m.get(r.sampler)!.set(r.id, r.sequence);
      }
      done(m);
    });
  });
}

// ---------------------------------------------------------------------------------------------- report
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (s[hi] === Infinity) return Infinity;
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

interface Summary {
  runs: number;
  found: number;
  toTop3: { median: number; p90: number; mean: number };
  rank12: { median: number; p90: number; mean: number };
  regret16: { median: number; mean: number };
}

// Means resolve differences that the integer-valued medians of 27-configuration tables hide (JSON only).
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function summarise(rs: RunResult[]): Summary {
  const reg = rs.map((r) => r.regret16 * 100);
  return {
    runs: rs.length,
    found: rs.filter((r) => r.toTop3 !== Infinity).length / rs.length,
    toTop3: { median: quantile(rs.map((r) => r.toTop3), 0.5), p90: quantile(rs.map((r) => r.toTop3), 0.9), mean: mean(rs.map((r) => r.toTop3)) },
    rank12: { median: quantile(rs.map((r) => r.rank12), 0.5), p90: quantile(rs.map((r) => r.rank12), 0.9), mean: mean(rs.map((r) => r.rank12)) },
    regret16: { median: quantile(reg, 0.5), mean: mean(reg) },
  };
}

async function main() {
  const t0 = performance.now();
  const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.label));
  if (scenarios.length === 0) throw new Error(`no scenario matches --scenarios (known: ${SCENARIOS.map((s) => s.label).join(', ')})`);
  // 1. Every seeded problem, and its export for Optuna: the observed value of each evaluable configuration.
  const problems: { sc: Scenario; seed: number; p: Problem; judge: Judge }[] = [];
  const optunaProblems: OptunaProblem[] = [];
  for (const sc of scenarios) {
    for (let seed = 0; seed < SEEDS; seed++) {
      const p = sc.problem(seed);
      const judge = new Judge(p.truth, p.offGrid);
      problems.push({ sc, seed, p, judge });
      if (SAMPLERS.length) {
        const values: Record<string, number> = {};
        for (const name of p.truth.keys()) {
          const res = await p.objective.evaluate(makeConfig(p.space, name.split('@').map(Number)), { epochs: p.maxEpochs, maxEpochs: p.maxEpochs });
          if (res.status === 'ok') values[name] = res.metrics.mse;
        }
        optunaProblems.push({ id: `${sc.label}#${seed}`, seed, groups: p.space.groups.length, ranks: p.space.allowedRanks, values, top3: [...judge.top3], maxEvals: sc.maxEvals, minEvals: 16 });
      }
    }
  }
  // 2. Optuna runs in its own process (on every core) while the strategies run here.
  const optuna = SAMPLERS.length ? runOptuna(optunaProblems) : null;
  // 3. The strategies. scenario label → method (strategy or optuna:sampler) → results over seeds.
  const results = new Map<string, Map<string, RunResult[]>>();
  for (const sc of scenarios) results.set(sc.label, new Map());
  for (const { sc, seed, p, judge } of problems) {
    const m = results.get(sc.label)!;
    for (const st of STRATS) {
      if (!applicable(sc, p, st)) continue;
      if ((st === 'adalora' || st === 'salientlora') && seed >= PRUNING_SEEDS) continue;
      if (!m.has(st)) m.set(st, []);
      m.get(st)!.push(await runStrategy(sc, p, judge, st, seed));
    }
  }
  const tStrategies = (performance.now() - t0) / 1000;
  // 4. Optuna's sequences, scored like the strategies.
  let optunaNote = '';
  let optunaFailed = false;
  if (optuna) {
    const opt = await optuna;
    if (typeof opt === 'string') {
      optunaNote = opt;
      optunaFailed = true;
    } else {
      for (const [sampler, byId] of opt) {
        for (const { sc, seed, judge } of problems) {
          const id = `${sc.label}#${seed}`;
          const values = optunaProblems.find((x) => x.id === id)!.values;
          const m = results.get(sc.label)!;
          if (!m.has(`optuna:${sampler}`)) m.set(`optuna:${sampler}`, []);
          m.get(`optuna:${sampler}`)!.push(judge.score((byId.get(id) ?? []).map((name) => ({ name, cost: 1, value: values[name] }))));
        }
      }
      optunaNote = `Optuna ${opt.version ?? ''} ${SAMPLERS.join(', ')} alongside, done after ${opt.seconds?.toFixed(0)} s`;
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  const methods = [...STRATS, ...SAMPLERS.map((s) => `optuna:${s}`)];
  const families = [...new Set(scenarios.map((s) => s.family))];
  if (JSON_OUT || SAVE) {
    const out = {
      seeds: SEEDS,
      pruningSeeds: PRUNING_SEEDS,
      seconds: Math.round(seconds),
      note: optunaNote,
      families: families.map((f) => {
        const scs = scenarios.filter((s) => s.family === f);
        return {
          family: f,
          scenarios: scs.map((s) => s.label),
          maxEvals: scs[0].maxEvals,
          methods: Object.fromEntries(
            methods
              .filter((m) => scs.every((s) => results.get(s.label)!.has(m)))
              .map((m) => [
                m,
                {
                  ...summarise(scs.flatMap((s) => results.get(s.label)!.get(m)!)),
                  perScenario: Object.fromEntries(scs.map((s) => [s.label, summarise(results.get(s.label)!.get(m)!)])),
                },
              ]),
          ),
        };
      }),
    };
    const text = JSON.stringify(out, (_k, v) => (v === Infinity ? null : v), 1);
    if (SAVE) writeFileSync(SAVE, `${text}\n`);
    if (JSON_OUT) {
      console.log(text);
      return;
    }
  }

  console.log(
    `rank search benchmark: ${SEEDS} seeds per scenario, roberta-large query+value, ${seconds.toFixed(0)} s (strategies ${tStrategies.toFixed(0)} s${optunaNote ? `; ${optunaNote}` : ''})`,
  );
  console.log('to top-3: evaluations until a top-3 configuration is evaluated (median / p90; >cap = not within the cap);');
  console.log(
    `rank@12: table rank of the ${PICKS ? "strategy's pick (bayes) or else the best observed configuration" : 'best observed configuration'} after 12 evaluations (median / p90); regret@16: median / mean.\n`,
  );
  const fmt = (x: number, cap: number) => (x === Infinity ? `>${cap}` : Number.isNaN(x) ? '—' : x.toFixed(1));
  for (const f of families) {
    const scs = scenarios.filter((s) => s.family === f);
    const cap = scs[0].maxEvals;
    console.log(`${f}; scenarios: ${scs.map((s) => s.label).join(', ')}; cap ${cap} evaluations`);
    console.log(`${'method'.padEnd(15)} ${'runs'.padStart(4)} ${'found'.padStart(5)} ${'to top-3'.padStart(13)} ${'rank@12'.padStart(11)} ${'regret@16'.padStart(15)}   to-top-3 median per scenario`);
    for (const m of methods) {
      if (!scs.every((s) => results.get(s.label)!.has(m))) {
        const why = m.startsWith('optuna:') ? 'Optuna did not run' : STRATEGIES_NEEDING_HOOKS.includes(m as StrategyName) ? 'needs the training engine' : 'needs low-fidelity rows';
        console.log(`${m.padEnd(15)} n/a (${why})`);
        continue;
      }
      const s = summarise(scs.flatMap((x) => results.get(x.label)!.get(m)!));
      const per = scs.map((x) => fmt(quantile(results.get(x.label)!.get(m)!.map((r) => r.toTop3), 0.5), cap)).join(' ');
      console.log(
        `${m.padEnd(15)} ${String(s.runs).padStart(4)} ${`${(s.found * 100).toFixed(0)}%`.padStart(5)} ${`${fmt(s.toTop3.median, cap)} / ${fmt(s.toTop3.p90, cap)}`.padStart(13)} ${`${fmt(s.rank12.median, cap)} / ${fmt(s.rank12.p90, cap)}`.padStart(11)} ${`${s.regret16.median.toFixed(1)}% / ${s.regret16.mean.toFixed(1)}%`.padStart(15)}   ${per}`,
      );
    }
    console.log('');
  }
  if (optunaFailed) console.log(optunaNote);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
});
