/**
 * What the svd / adarank / adalora / salientlora strategies need from the training engine. The search side
 * does the allocation math (allocation.ts, pruning.ts); the engine only measures. All results are plain JSON
 * so they can be streamed as probe events and replayed when a search resumes.
 */
import type { PruningController } from './pruning';

export interface ProbeRequest {
  /** Same LoRA rank in every layer. */
  rank: number;
  epochs: number;
  seed: number;
}

export interface ProbeResult {
  /**
   * Per layer, the singular values of the trained updates s·B·A of that layer's target modules, all targets
   * concatenated (order irrelevant): importance S_i = Σ σ².
   */
  singularValues: number[][];
}

export interface PerturbationRequest {
  layer: number;
  /** Std of the Gaussian noise added to the layer's frozen target weights, relative to each weight's std. */
  noiseStd: number;
  /** Seed of the two independent noise draws. */
  seed: number;
}

export interface PruningRequest {
  /** Initial rank of every target matrix (AdaLoRA init_r). */
  initialRank: number;
  epochs: number;
  seed: number;
  /**
   * Build the controller once the engine knows its total optimiser steps; then call
   * `controller.step(step, observation)` after each step and apply the returned keep-masks.
   * Units are (layer, target) matrices, unit = layer · targets + target.
   */
  createController(totalSteps: number): PruningController;
}

export interface PruningResult {
  /** Final kept components per unit (layer · targets + target). */
  keptPerUnit: number[];
  /** Optional metrics of the pruning run itself (the strategy retrains the pattern from scratch anyway). */
  metrics?: Record<string, number>;
}

export interface TrainingHooks {
  /** DARSE dynamic allocation: a short uniform-rank training, reporting the singular values of the updates. */
  trainProbe?(req: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult>;
  /** AdaRank: mean L1 distance between the outputs of two independently perturbed copies of one layer. */
  perturbationDistance?(req: PerturbationRequest, signal?: AbortSignal): Promise<number>;
  /** AdaLoRA / SalientLoRA: train while pruning rank components as the controller says. */
  trainWithPruning?(req: PruningRequest, signal?: AbortSignal): Promise<PruningResult>;
}
