/**
 * The search's objective backed by real trainings: evaluating a configuration runs one trial (runTrial) with
 * its per-layer ranks for `fidelity.epochs` epochs and reports the final validation metrics. Every
 * configuration trains from the same base seed, so differences come from the ranks, not from the draw.
 * A failed trial (divergence, lost device, bad settings) becomes `status: 'failed'` with its reason; the
 * engine records it and goes on.
 */
import type { TargetModule } from '../model/adapter';
import type { RobertaModel } from '../model/roberta';
import { sizeOfConfig, targetShapes } from '../model/shape';
import type { EvalResult, Fidelity, Objective } from '../search/objective';
import { createSpace, type LayerGroup, type RankConfig, type SearchSpace } from '../search/space';
import { runTrial, type TrialCheckpoint, type TrialData, type TrialHooks, type TrialResult, type TrialSettings } from '../train/trainer';

export interface TrainingObjectiveEnv {
  model: RobertaModel;
  data: TrialData;
  /** Settings of every trial; `lora.ranks` and `epochs` come from the configuration and the fidelity. */
  base: TrialSettings;
  /** Progress of the trial being run (per step / epoch), e.g. for the UI's live chart. */
  trialHooks?: Omit<TrialHooks, 'signal' | 'resume'>;
  /** Called after each trial with its full result (adapter snapshot included); awaited. */
  onTrial?: (config: RankConfig, result: TrialResult) => void | Promise<void>;
  /** Called before each trial; may return a checkpoint of this trial to continue from (resume after reload). */
  resumeFor?: (config: RankConfig, fidelity: Fidelity) => Promise<TrialCheckpoint | undefined>;
  /** LoRA alpha(s) of a configuration (e.g. alpha proportional to rank); default: base.lora.alphas. */
  alphasFor?: (layerRanks: readonly number[]) => number[] | number;
}

/** The search space of a model: its layers and the shapes of the chosen target modules (in that order). */
export function spaceForModel(
  model: RobertaModel,
  targets: readonly TargetModule[],
  opts: { groups?: number | LayerGroup[]; allowedRanks?: readonly number[] } = {},
): SearchSpace {
  return createSpace({
    numLayers: model.layers.length,
    groups: opts.groups,
    allowedRanks: opts.allowedRanks,
    targets: targetShapes(targets, sizeOfConfig(model.config)),
  });
}

export class TrainingObjective implements Objective {
  constructor(readonly env: TrainingObjectiveEnv) {}

  async evaluate(config: RankConfig, fidelity: Fidelity, signal?: AbortSignal): Promise<EvalResult> {
    const { model, data, base } = this.env;
    if (config.layers.length !== model.layers.length) {
      return { status: 'failed', reason: `configuration ${config.name} has ${config.layers.length} layer ranks, the model has ${model.layers.length} layers` };
    }
    const alphas = this.env.alphasFor?.(config.layers) ?? base.lora.alphas;
    const settings: TrialSettings = { ...base, epochs: fidelity.epochs, lora: { ...base.lora, ranks: [...config.layers], alphas } };
    let result: TrialResult;
    try {
      const resume = await this.env.resumeFor?.(config, fidelity);
      result = await runTrial(model, data, settings, { ...this.env.trialHooks, signal, resume });
    } catch (e) {
      return { status: 'failed', reason: e instanceof Error ? e.message : String(e) };
    }
    await this.env.onTrial?.(config, result);
    const info = { steps: result.steps, loraParams: result.loraParams, totalMs: Math.round(result.timings.totalMs), tokensPerSec: result.timings.tokensPerSec };
    if (result.status !== 'completed' || !result.final) {
      return { status: 'failed', reason: result.reason ?? `trial ${result.status}`, info };
    }
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(result.final)) if (typeof v === 'number') metrics[k] = v;
    const last = result.epochs[result.epochs.length - 1];
    if (last) metrics.trainLoss = last.trainLoss;
    return { status: 'ok', metrics, info };
  }
}
