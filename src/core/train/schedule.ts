/**
 * Learning-rate schedule as transformers' get_cosine_schedule_with_warmup (num_cycles 0.5) under torch's
 * LambdaLR: optimiser step k (0-based) uses lr · λ(k), so the first step runs at lr 0 when warm-up > 0.
 */
export function cosineWithWarmup(step: number, warmupSteps: number, totalSteps: number, numCycles = 0.5): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
}

/** Warm-up steps from a ratio of the total, rounded up as transformers' `get_warmup_steps` does. */
export function warmupStepsFromRatio(ratio: number, totalSteps: number): number {
  return Math.ceil(totalSteps * ratio);
}
