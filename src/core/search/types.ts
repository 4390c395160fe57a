/**
 * Types shared by the search engine, the strategies and their callers (UI, CLI, worker).
 */
import type { RootRng, Rng } from '../util/rng';
import type { TrainingHooks } from './hooks';
import type { Objective } from './objective';
import type { Direction, EvalStatus } from '../vocabulary';
import type { KernelChoice } from './gp';
import type { SearchSpace } from './space';

export const STRATEGY_NAMES = [
  'uniform',
  'grid',
  'random',
  'coarse',
  'fine',
  'svd',
  'adarank',
  'adalora',
  'salientlora',
  'halving',
  'bayes',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** One evaluation as recorded and streamed. Plain JSON: store it, send it across a worker, replay it. */
export interface EvalRecord {
  /** 1-based position among all evaluations of the search (skipped and failed included). */
  index: number;
  /** `384@512@256` */
  name: string;
  /** Canonical per-layer key (see space.canonicalKey). */
  key: string;
  groups: number[];
  epochs: number;
  maxEpochs: number;
  /** Exact trainable LoRA parameters. */
  params: number;
  status: EvalStatus;
  metrics: Record<string, number>;
  /** The search metric, null unless status is ok. */
  value: number | null;
  reason?: string;
  info?: Record<string, unknown>;
}

export type StopReason = 'finished' | 'max-evals' | 'aborted' | 'too-many-skips';

export type SearchEvent =
  /** An evaluation just finished; `best` is the best full-fidelity result so far (null if none yet). */
  | { type: 'eval'; record: EvalRecord; best: EvalRecord | null }
  /** A training-engine hook (SVD probe, perturbation, pruning run) returned; kept so a resume need not redo it. */
  | { type: 'probe'; label: string; value: unknown }
  /** Human-readable progress from a strategy (e.g. "coarse: pass 2 improved by 3.1e-4"). */
  | { type: 'note'; message: string }
  /**
   * The configuration the strategy itself would deploy now, among those evaluated (a model-based strategy's
   * judgement: on noisy results the lowest observation is often a lucky draw). Strategies without a model
   * emit none; `best` stays the best observation either way.
   */
  | { type: 'pick'; record: EvalRecord }
  | {
      type: 'done';
      best: EvalRecord | null;
      /** The strategy's last pick (see the 'pick' event); null when it made none. */
      pick: EvalRecord | null;
      /** All evaluation records of the search, history included. */
      evaluations: number;
      ok: number;
      failed: number;
      skipped: number;
      stopReason: StopReason;
    };

/** Knobs of the strategies; each strategy reads the ones it knows. Defaults in parentheses. */
export interface StrategyOptions {
  /** coarse/fine: stop when a pass improves the best by no more than this (0). */
  epsilon?: number;
  /** coarse: passes at most (5). fine: passes at most (3). */
  maxPasses?: number;
  /** fine: step δ (32) and steps k = 1..maxSteps (2). */
  delta?: number;
  maxSteps?: number;
  /** fine: start from this configuration (per-group ranks) instead of running coarse first. */
  start?: number[];
  /** svd/adarank/adalora/salientlora: average rank(s) per layer to allocate; default: uniform-budget rank. */
  averageRanks?: number[];
  /** svd: rank and epochs of the short uniform probe training (smallest non-zero allowed rank, maxEpochs/10). */
  probeRank?: number;
  probeEpochs?: number;
  /** adarank: std of the Gaussian perturbation of the frozen weights (0.01). */
  noiseStd?: number;
  /** adalora/salientlora: initial rank per matrix (1.5 × target average, at least the next allowed rank above it), epochs of the pruning run (maxEpochs). */
  initialRank?: number;
  pruneEpochs?: number;
  /** halving: reduction factor η (3), smallest fidelity in epochs (maxEpochs / η³), proposer (random). */
  eta?: number;
  minEpochs?: number;
  proposer?: 'random' | 'bayes';
  /** bayes: initial points (one per group with init 'random', the default; 2 with 'centre-lhs') and EI margin ξ (0.01 × std). */
  initPoints?: number;
  xi?: number;
  /** bayes: prior mean of the GP at mean + priorOffset · std of the observed losses (0). */
  priorOffset?: number;
  /** bayes: one GP length scale per group, by marginal likelihood (false). */
  ard?: boolean;
  /** bayes: initial points from the random strategy's order ('random', default) or a centre point + Latin hypercube. */
  init?: 'random' | 'centre-lhs';
  /** bayes: propose from the random order while the GP explains the data as noise (true), judged from fallbackAfter observations on (groups + 3). */
  noiseFallback?: boolean;
  fallbackAfter?: number;
  /** bayes: largest noise variance (relative to the signal) the GP may fit (no limit: up to 5).  */
  maxNoise?: number;
  /** bayes: GP kernel, joint Matérn, additive over the groups, or the one of higher marginal likelihood ('auto'). */
  kernel?: KernelChoice;
}

/** What a strategy sees: the space, a seeded RNG, and cached, budget-checked evaluation. */
export interface StrategyContext {
  readonly space: SearchSpace;
  readonly budget: number;
  readonly metric: string;
  readonly direction: Direction;
  readonly maxEpochs: number;
  readonly maxEvals: number;
  /** The search's randomness, made once from its seed: other named streams (fork) and hook seeds (seedFor). */
  readonly root: RootRng;
  /** This strategy's own stream, root.fork(`search:<strategy>`); fork it for sub-streams. */
  readonly rng: Rng;
  readonly options: StrategyOptions;
  readonly hooks?: TrainingHooks;
  readonly signal?: AbortSignal;
  feasible(groups: readonly number[]): boolean;
  /**
   * Evaluate per-group ranks at `epochs` (default: full). Returns the cached record when this configuration
   * was already evaluated at that fidelity (never evaluates twice). Throws when the search must stop
   * (max evaluations, abort): let it propagate. Throws on a configuration over budget (a strategy bug).
   */
  evaluate(groups: readonly number[], epochs?: number): Promise<EvalRecord>;
  /** The record of an earlier evaluation, if any. */
  seen(groups: readonly number[], epochs?: number): EvalRecord | undefined;
  /** Run a training-engine hook once; its JSON result is streamed and replayed on resume. */
  probe<T>(label: string, run: (signal?: AbortSignal) => Promise<T>): Promise<T>;
  /** Lower-is-better score of a record (negated metric when maximising), null unless ok. */
  loss(rec: EvalRecord | undefined): number | null;
  note(message: string): Promise<void>;
  /** Name an evaluated full-fidelity configuration as the strategy's pick (see the 'pick' event). */
  pick(groups: readonly number[]): Promise<void>;
  /** Every record so far, in order. */
  records(): readonly EvalRecord[];
}

export type StrategyFn = (ctx: StrategyContext) => Promise<void>;

export interface SearchOptions {
  space: SearchSpace;
  objective: Objective;
  strategy: StrategyName | StrategyFn;
  /** Metric to optimise ('mse'); direction inferred from the name unless given. */
  metric?: string;
  direction?: Direction;
  seed?: number;
  /** Parameter budget (Infinity). */
  budget?: number;
  /** Evaluations that ran (ok or failed; skipped ones do not count), history included (Infinity). */
  maxEvals?: number;
  /** Epochs of a full-fidelity evaluation (100). */
  maxEpochs?: number;
  options?: StrategyOptions;
  hooks?: TrainingHooks;
  /** Events of an interrupted run with the same options: replayed without re-evaluating. */
  history?: readonly SearchEvent[];
  signal?: AbortSignal;
}
