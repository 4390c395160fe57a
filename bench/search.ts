/**
 * Search benchmark: every strategy on synthetic landscapes, 20 seeds each. Prints, per strategy, how many
 * evaluations (full-training equivalents: a 4-epoch halving trial counts 0.04) it takes until a top-3
 * configuration (by noiseless value, within budget) has been evaluated at full fidelity, and the regret of
 * its incumbent after 16 evaluations, in % of the gap between the optimum and the median configuration.
 *   npm run bench:search [-- --seeds 20 --strategies bayes,random,coarse]
 */
import {
  createLandscape,
  createSpace,
  rankedConfigs,
  robertaTargetShapes,
  runSearch,
  STRATEGY_NAMES,
  SyntheticObjective,
  syntheticHooks,
  uniformCost,
  type LandscapeName,
  type SearchSpace,
  type StrategyName,
} from '../src/core/search';

interface Scenario {
  label: string;
  groups: number;
  landscape: LandscapeName;
  /** Budget as a uniform rank (Infinity = none). */
  budgetRank: number;
  maxEvals: number;
}

const RANKS = [128, 256, 384, 512];
const SCENARIOS: Scenario[] = [
  ...(['bowl', 'paper', 'coupled', 'twopeaks', 'noisy'] as const).map((l) => ({ label: `3g/${l}`, groups: 3, landscape: l, budgetRank: Infinity, maxEvals: 64 })),
  { label: '3g/monotone≤u320', groups: 3, landscape: 'monotone', budgetRank: 320, maxEvals: 64 },
  ...(['bowl', 'paper', 'coupled', 'twopeaks'] as const).map((l) => ({ label: `4g/${l}`, groups: 4, landscape: l, budgetRank: Infinity, maxEvals: 128 })),
  { label: '4g/monotone≤u320', groups: 4, landscape: 'monotone', budgetRank: 320, maxEvals: 128 },
];

const argv = process.argv.slice(2);
const argOf = (n: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SEEDS = Number(argOf('seeds') ?? 20);
const STRATS = (argOf('strategies')?.split(',') ?? [...STRATEGY_NAMES]) as StrategyName[];
const ONLY = argOf('scenarios')?.split(',');
/** --set key=value,key=value: strategy options, for tuning experiments. */
const OPTIONS: Record<string, number | string> = Object.fromEntries(
  (argOf('set')?.split(',') ?? []).map((kv) => {
    const [k, v] = kv.split('=');
    return [k, Number.isFinite(Number(v)) ? Number(v) : v];
  }),
);

interface RunResult {
  toTop3: number;
  regret16: number;
}

async function runOne(space: SearchSpace, sc: Scenario, strategy: StrategyName, seed: number): Promise<RunResult> {
  const landscape = createLandscape(sc.landscape, space, seed);
  const budget = sc.budgetRank === Infinity ? Infinity : uniformCost(space, sc.budgetRank);
  const ranked = rankedConfigs(landscape, budget);
  const top3 = new Set(ranked.slice(0, 3).map((c) => c.name));
  const opt = ranked[0].value;
  const median = ranked[Math.floor(ranked.length / 2)].value;
  const worst = ranked[ranked.length - 1].value;
  let cost = 0;
  let toTop3 = Infinity;
  let incumbent: { loss: number; name: string; groups: number[] } | null = null;
  let regret16: number | null = null;
  const regretOf = (g: number[] | null) => ((g ? landscape.value(g) : worst) - opt) / (median - opt);
  for await (const ev of runSearch({
    space,
    objective: new SyntheticObjective(landscape, seed),
    hooks: syntheticHooks(landscape, seed),
    strategy,
    seed,
    budget,
    maxEvals: sc.maxEvals,
    options: OPTIONS,
  })) {
    if (ev.type !== 'eval') continue;
    const r = ev.record;
    const c = r.epochs / r.maxEpochs;
    if (regret16 === null && cost + c > 16 + 1e-9) regret16 = regretOf(incumbent?.groups ?? null);
    cost += c;
    if (r.status === 'ok' && r.epochs === r.maxEpochs) {
      if (!incumbent || r.value! < incumbent.loss) incumbent = { loss: r.value!, name: r.name, groups: r.groups };
      if (toTop3 === Infinity && top3.has(r.name)) toTop3 = cost;
    }
    if (toTop3 !== Infinity && regret16 !== null) break;
  }
  if (regret16 === null) regret16 = regretOf(incumbent?.groups ?? null);
  return { toTop3, regret16 };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (s[hi] === Infinity) return lo === hi || s[lo] === Infinity ? Infinity : Infinity;
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const fmt = (x: number, cap: number) => (x === Infinity ? `>${cap}` : x.toFixed(1));
const pad = (s: string, n: number) => s.padStart(n);

async function main() {
  const targets = robertaTargetShapes(1024, 4096, ['attention.self.query', 'attention.self.value']);
  const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.label));
  const results = new Map<string, Map<StrategyName, RunResult[]>>();
  const t0 = performance.now();
  for (const sc of scenarios) {
    const space = createSpace({ numLayers: 24, groups: sc.groups, allowedRanks: RANKS, targets });
    const m = new Map<StrategyName, RunResult[]>();
    for (const st of STRATS) {
      const rs: RunResult[] = [];
      for (let seed = 0; seed < SEEDS; seed++) rs.push(await runOne(space, sc, st, seed));
      m.set(st, rs);
    }
    results.set(sc.label, m);
  }
  console.log(`rank search benchmark: ${SEEDS} seeds per scenario, roberta-large query+value, ranks {${RANKS.join(',')}} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  for (const groups of [3, 4]) {
    const labels = scenarios.filter((s) => s.groups === groups).map((s) => s.label);
    if (labels.length === 0) continue;
    const cap = groups === 3 ? 64 : 128;
    console.log(`${groups} groups (${RANKS.length ** groups} configurations; scenarios: ${labels.join(', ')}; max ${cap} evaluations)`);
    console.log(`${'strategy'.padEnd(12)} ${pad('found', 6)} ${pad('median', 7)} ${pad('p90', 7)} ${pad('regret@16 med', 14)} ${pad('mean', 7)}   median per scenario`);
    const randomMedian = quantile(labels.flatMap((l) => results.get(l)!.get('random')?.map((r) => r.toTop3) ?? []), 0.5);
    for (const st of STRATS) {
      const runs = labels.flatMap((l) => results.get(l)!.get(st)!);
      const evals = runs.map((r) => r.toTop3);
      const found = evals.filter((x) => x !== Infinity).length / evals.length;
      const reg = runs.map((r) => r.regret16 * 100);
      const per = labels.map((l) => fmt(quantile(results.get(l)!.get(st)!.map((r) => r.toTop3), 0.5), cap)).join(' ');
      console.log(
        `${st.padEnd(12)} ${pad(`${(found * 100).toFixed(0)}%`, 6)} ${pad(fmt(quantile(evals, 0.5), cap), 7)} ${pad(fmt(quantile(evals, 0.9), cap), 7)} ${pad(`${quantile(reg, 0.5).toFixed(1)}%`, 14)} ${pad(`${(reg.reduce((a, b) => a + b, 0) / reg.length).toFixed(1)}%`, 7)}   ${per}`,
      );
    }
    if (STRATS.includes('random')) console.log(`(random median ${fmt(randomMedian, cap)}; goal: bayes ≤ ${(randomMedian / 2).toFixed(1)} and below coarse)\n`);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
});
