/** Public surface of the rank search engine. */
export * from './types';
export * from './space';
export * from './objective';
export * from './hooks';
export * from './allocation';
export * from './pruning';
export { runSearch, collectSearch } from './engine';
export { STRATEGIES, STRATEGIES_NEEDING_HOOKS } from './strategies';
export { rungEpochs } from './strategies/halving';
export { proposeByEI, type Observation } from './strategies/bayes';
export { GaussianProcess, expectedImprovement } from './gp';
export {
  LANDSCAPE_NAMES,
  LANDSCAPE_INFO,
  createLandscape,
  SyntheticObjective,
  rankedConfigs,
  syntheticHooks,
  type Landscape,
  type LandscapeName,
} from './synthetic';
export { parseReplayTable, spaceForTable, ReplayObjective, type ReplayRow, type ReplayTable } from './replay';
