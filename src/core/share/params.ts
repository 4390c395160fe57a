/** Trainable LoRA parameter count, the budget's unit (SPEC §4): Σ_layers r_i · Σ_targets (in + out). */
import type { TargetModule } from '../model/adapter';

export function targetDims(target: TargetModule, hidden: number, intermediate: number): { in: number; out: number } {
  if (target === 'intermediate.dense') return { in: hidden, out: intermediate };
  if (target === 'output.dense') return { in: intermediate, out: hidden };
  return { in: hidden, out: hidden };
}

export function loraParamCount(layerRanks: readonly number[], targets: readonly TargetModule[], hidden: number, intermediate: number): number {
  const perRank = targets.reduce((a, t) => {
    const d = targetDims(t, hidden, intermediate);
    return a + d.in + d.out;
  }, 0);
  return layerRanks.reduce((a, r) => a + r, 0) * perRank;
}
