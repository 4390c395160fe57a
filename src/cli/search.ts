/**
 * Rank search from the command line (Node, no browser):
 *   npm run search -- --replay FILE --strategy NAME [--seed N] [--max-evals K] [--metric mse] [--budget B] [--json]
 *   npm run search -- --synthetic NAME --strategy NAME ...
 * Prints one line per evaluation (JSON with --json) and a summary line. Bad input: one-line error, exit 2.
 */
import { readFileSync } from 'node:fs';
import { TARGET_MODULES, TARGET_SHORT, type TargetModule } from '../core/model/adapter';
import { ROBERTA_SIZES, targetShapes } from '../core/model/shape';
import { metricDirection, type Direction } from '../core/vocabulary';
import {
  createLandscape,
  createSpace,
  LANDSCAPE_INFO,
  LANDSCAPE_NAMES,
  parseReplayTable,
  ReplayObjective,
  runSearch,
  spaceForTable,
  STRATEGIES_NEEDING_HOOKS,
  STRATEGY_NAMES,
  SyntheticObjective,
  syntheticHooks,
  uniformCost,
  type EvalRecord,
  type LandscapeName,
  type Objective,
  type SearchSpace,
  type StrategyName,
  type StrategyOptions,
  type TrainingHooks,
} from '../core/search';
import { parseArgs as parseOptions, UsageError } from './args';


const HELP = `usage: npm run search -- (--replay FILE | --synthetic NAME) --strategy NAME [options]
  --strategy NAME     ${STRATEGY_NAMES.join(' | ')}
  --replay FILE       CSV with a 'ranks' column (e.g. 384@512@256), metric columns, optional 'epochs'
  --synthetic NAME    ${LANDSCAPE_NAMES.join(' | ')}
  --seed N            search seed (0)
  --max-evals K       evaluations at most (100)
  --metric NAME       metric to optimise (mse); --direction min|max overrides the inferred direction
  --budget B          parameter budget: 786432, 12.5M, 300k, or rank:256 (cost of uniform rank 256)
  --json              one JSON line per evaluation and a JSON summary line
  --model NAME        roberta-large | roberta-base, for parameter counts (roberta-large)
  --targets LIST      LoRA targets, e.g. query,value (query,value)
  --layers N          override the model's layer count
  --groups G          synthetic: number of layer groups (3); replay: taken from the table
  --ranks LIST        allowed ranks (synthetic: 128,256,384,512; replay: the ranks in the table)
  --epochs E          epochs of a full evaluation (100)
  --noise X           synthetic: noise std relative to the landscape scale (0.02)
  --landscape-seed N  synthetic: seed of the landscape (0)
  --set KEY=VALUE     strategy option (epsilon, maxPasses, delta, maxSteps, eta, minEpochs, proposer, initPoints, xi, ...)`;

type Args = Map<string, string[]>;

const FLAGS = new Set(['json', 'help']);
const VALUED = new Set([
  'replay', 'synthetic', 'strategy', 'seed', 'max-evals', 'metric', 'direction', 'budget', 'model', 'targets',
  'layers', 'groups', 'ranks', 'epochs', 'noise', 'landscape-seed', 'set',
]);

function parseArgs(argv: string[]): Args {
  return parseOptions(argv, { flags: FLAGS, valued: VALUED, repeatable: new Set(['set']) });
}

function one(args: Args, name: string): string | undefined {
  return args.get(name)?.[0];
}

function intArg(args: Args, name: string, dflt: number, min: number): number {
  const s = one(args, name);
  if (s === undefined) return dflt;
  if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${s}'`);
  return Number(s);
}

function parseBudget(s: string, space: SearchSpace): number {
  const rank = /^rank:(\d+)$/.exec(s);
  if (rank) return uniformCost(space, Number(rank[1]));
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s);
  if (!m) throw new UsageError(`--budget must be a parameter count like 786432, 300k, 12.5M or rank:256, got '${s}'`);
  const v = Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6);
  if (!(v > 0)) throw new UsageError(`--budget must be positive, got '${s}'`);
  return Math.floor(v);
}

function parseTargets(s: string): TargetModule[] {
  return s.split(',').map((t) => {
    const name = t.trim();
    const full = TARGET_MODULES.find((m) => m === name || TARGET_SHORT[m] === name);
    if (!full) {
      throw new UsageError(`unknown target '${name}' in --targets (known: ${TARGET_MODULES.map((m) => TARGET_SHORT[m]).join(', ')})`);
    }
    return full;
  });
}

function parseRankList(s: string): number[] {
  return s.split(',').map((t) => {
    if (!/^\d+$/.test(t.trim())) throw new UsageError(`--ranks must be a comma-separated list of integers, got '${s}'`);
    return Number(t.trim());
  });
}

const NUMERIC_OPTIONS = ['epsilon', 'maxPasses', 'delta', 'maxSteps', 'probeRank', 'probeEpochs', 'noiseStd', 'initialRank', 'pruneEpochs', 'eta', 'minEpochs', 'initPoints', 'xi'];

function parseStrategyOptions(sets: string[]): StrategyOptions {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(s);
    if (!m) throw new UsageError(`--set expects KEY=VALUE, got '${s}'`);
    const [, key, value] = m;
    if (NUMERIC_OPTIONS.includes(key)) {
      const v = Number(value);
      if (!Number.isFinite(v)) throw new UsageError(`--set ${key} needs a number, got '${value}'`);
      out[key] = v;
    } else if (key === 'proposer') {
      if (value !== 'random' && value !== 'bayes') throw new UsageError(`--set proposer must be random or bayes, got '${value}'`);
      out[key] = value;
    } else if (key === 'start' || key === 'averageRanks') {
      out[key] = value.split(/[@,]/).map((x) => {
        if (!/^\d+$/.test(x)) throw new UsageError(`--set ${key} needs ranks like 384@512@256, got '${value}'`);
        return Number(x);
      });
    } else {
      throw new UsageError(`unknown strategy option '${key}' in --set (known: ${[...NUMERIC_OPTIONS, 'proposer', 'start', 'averageRanks'].join(', ')})`);
    }
  }
  return out as StrategyOptions;
}

function jsonLine(rec: EvalRecord, metric: string): string {
  const o: Record<string, unknown> = { eval: rec.index, ranks: rec.name };
  if (rec.status === 'ok') {
    o[metric] = rec.metrics[metric];
    for (const [k, v] of Object.entries(rec.metrics)) if (k !== metric) o[k] = v;
  }
  o.params = rec.params;
  if (rec.epochs !== rec.maxEpochs) o.epochs = rec.epochs;
  o.status = rec.status;
  if (rec.reason) o.reason = rec.reason;
  return JSON.stringify(o);
}

function textLine(rec: EvalRecord, metric: string): string {
  const at = rec.epochs !== rec.maxEpochs ? ` @${rec.epochs}ep` : '';
  const head = `#${rec.index} ${rec.name}${at}`;
  if (rec.status !== 'ok') return `${head}  ${rec.status}: ${rec.reason ?? ''}`;
  return `${head}  ${metric}=${rec.metrics[metric]}  params=${rec.params}`;
}

export async function main(argv: string[], out: (line: string) => void): Promise<void> {
  const args = parseArgs(argv);
  if (args.has('help')) {
    out(HELP);
    return;
  }
  const strategy = one(args, 'strategy');
  if (!strategy) throw new UsageError(`--strategy is required (${STRATEGY_NAMES.join(', ')})`);
  if (!(STRATEGY_NAMES as readonly string[]).includes(strategy)) {
    throw new UsageError(`unknown strategy '${strategy}' (known: ${STRATEGY_NAMES.join(', ')})`);
  }
  const replay = one(args, 'replay');
  const synthetic = one(args, 'synthetic');
  if ((replay === undefined) === (synthetic === undefined)) throw new UsageError('give exactly one of --replay FILE or --synthetic NAME');
  const metric = one(args, 'metric') ?? 'mse';
  const dirArg = one(args, 'direction');
  if (dirArg !== undefined && dirArg !== 'min' && dirArg !== 'max') throw new UsageError(`--direction must be min or max, got '${dirArg}'`);
  let direction: Direction;
  try {
    direction = (dirArg as Direction | undefined) ?? metricDirection(metric);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; pass --direction min|max`);
  }
  const modelName = one(args, 'model') ?? 'roberta-large';
  if (!(modelName in ROBERTA_SIZES)) throw new UsageError(`unknown --model '${modelName}' (known: ${Object.keys(ROBERTA_SIZES).join(', ')})`);
  const model = ROBERTA_SIZES[modelName as keyof typeof ROBERTA_SIZES];
  const numLayers = intArg(args, 'layers', model.layers, 1);
  const targets = targetShapes(parseTargets(one(args, 'targets') ?? 'query,value'), model);
  const maxEpochs = intArg(args, 'epochs', 100, 1);
  const seed = intArg(args, 'seed', 0, 0);
  const maxEvals = intArg(args, 'max-evals', 100, 1);
  const ranksArg = one(args, 'ranks');
  const options = parseStrategyOptions(args.get('set') ?? []);

  let space: SearchSpace;
  let objective: Objective;
  let hooks: TrainingHooks | undefined;
  if (replay !== undefined) {
    if (args.has('groups')) throw new UsageError('--groups is taken from the replay table; drop it');
    for (const o of ['noise', 'landscape-seed']) if (args.has(o)) throw new UsageError(`--${o} only applies to --synthetic`);
    let text: string;
    try {
      text = readFileSync(replay, 'utf8');
    } catch (e) {
      throw new Error(`cannot read replay table '${replay}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const table = parseReplayTable(text);
    if (!table.metrics.includes(metric)) throw new Error(`replay table has no '${metric}' column (metrics: ${table.metrics.join(', ')}); choose one with --metric`);
    if ((STRATEGIES_NEEDING_HOOKS as readonly string[]).includes(strategy)) {
      throw new UsageError(`strategy '${strategy}' needs the training engine, which a replay table cannot provide; try it with --synthetic`);
    }
    if (strategy === 'halving' && !table.hasEpochs) {
      throw new UsageError(`strategy 'halving' needs an 'epochs' column in the replay table (results at several epoch counts)`);
    }
    space = spaceForTable(table, numLayers, targets, ranksArg ? parseRankList(ranksArg) : undefined);
    objective = new ReplayObjective(table, metric);
  } else {
    if (!(LANDSCAPE_NAMES as readonly string[]).includes(synthetic!)) {
      throw new UsageError(`unknown landscape '${synthetic}' (known: ${LANDSCAPE_NAMES.map((n) => `${n} (${LANDSCAPE_INFO[n]})`).join('; ')})`);
    }
    const known = ['mse', 'rmse', 'mae', 'r2'];
    if (!known.includes(metric)) throw new UsageError(`synthetic landscapes report ${known.join(', ')}; --metric '${metric}' is not one of them`);
    const groups = intArg(args, 'groups', 3, 1);
    if (groups > numLayers) throw new UsageError(`--groups ${groups} exceeds the ${numLayers} layers`);
    const noiseArg = one(args, 'noise');
    const noise = noiseArg === undefined ? 0.02 : Number(noiseArg);
    if (!(noise >= 0)) throw new UsageError(`--noise must be a number ≥ 0, got '${noiseArg}'`);
    space = createSpace({ numLayers, groups, allowedRanks: ranksArg ? parseRankList(ranksArg) : [128, 256, 384, 512], targets });
    const landscape = createLandscape(synthetic as LandscapeName, space, intArg(args, 'landscape-seed', 0, 0), noise);
    objective = new SyntheticObjective(landscape);
    hooks = syntheticHooks(landscape);
  }
  const budgetArg = one(args, 'budget');
  const budget = budgetArg === undefined ? Infinity : parseBudget(budgetArg, space);
  const json = args.has('json');

  for await (const ev of runSearch({
    space,
    objective,
    hooks,
    strategy: strategy as StrategyName,
    metric,
    direction,
    seed,
    budget,
    maxEvals,
    maxEpochs,
    options,
  })) {
    if (ev.type === 'eval') out(json ? jsonLine(ev.record, metric) : textLine(ev.record, metric));
    else if (ev.type === 'done') {
      const b = ev.best;
      const p = ev.pick;
      if (json) {
        out(
          JSON.stringify({
            best: b ? { ranks: b.name, [metric]: b.value, params: b.params } : null,
            // The strategy's own pick (bayes: lowest posterior mean), when it names one.
            ...(p ? { pick: { ranks: p.name, [metric]: p.value, params: p.params } } : {}),
            evaluations: ev.evaluations,
            ok: ev.ok,
            failed: ev.failed,
            skipped: ev.skipped,
            stop: ev.stopReason,
          }),
        );
      } else {
        out(
          b
            ? `best: ${b.name}  ${metric}=${b.value}  params=${b.params}${p && p !== b ? `  pick: ${p.name}  ${metric}=${p.value}` : ''}  (${ev.evaluations} evaluations, ${ev.skipped} skipped, ${ev.failed} failed; ${ev.stopReason})`
            : `best: none (${ev.evaluations} evaluations, ${ev.skipped} skipped, ${ev.failed} failed; ${ev.stopReason})`,
        );
      }
    }
  }
}

main(process.argv.slice(2), (line) => process.stdout.write(line + '\n')).catch((e: unknown) => {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  process.stderr.write(`error: ${msg}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
