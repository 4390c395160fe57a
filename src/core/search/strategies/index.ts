/** Strategy registry: the names used on the CLI and in the UI. */
import type { StrategyFn, StrategyName } from '../types';
import { adalora, adarank, salientlora, svd } from './allocate';
import { bayes } from './bayes';
import { coarse } from './coarse';
import { fine } from './fine';
import { grid } from './grid';
import { halving } from './halving';
import { random } from './random';
import { uniform } from './uniform';

export const STRATEGIES: Record<StrategyName, StrategyFn> = {
  uniform,
  grid,
  random,
  coarse,
  fine,
  svd,
  adarank,
  adalora,
  salientlora,
  halving,
  bayes,
};

/** Strategies that need TrainingHooks from the training engine. */
export const STRATEGIES_NEEDING_HOOKS: readonly StrategyName[] = ['svd', 'adarank', 'adalora', 'salientlora'];
