/** Synthetic adapter snapshots for the tiny model: random non-zero A and B, seeded. */
import type { AdapterSnapshot, TargetModule } from '../../src/core/model/adapter';
import type { NamedTensor } from '../../src/core/model/safetensors';
import { targetShape } from '../../src/core/model/shape';
import { Rng } from '../../src/core/util/rng';

export const TINY = { hidden: 128, intermediate: 512, layers: 4, id: 'rank-lab/tiny-roberta' };

export function randomSnapshot(opts: {
  ranks: number[];
  alphas?: number[];
  targets?: TargetModule[];
  rslora?: boolean;
  classes?: number;
  regression?: boolean;
  seed?: number;
}): AdapterSnapshot {
  const rng = new Rng(opts.seed ?? 1);
  const H = TINY.hidden;
  const t = (shape: number[], std: number): NamedTensor => {
    const data = new Float32Array(shape[0] * (shape[1] ?? 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
    return { shape, data };
  };
  const targets = opts.targets ?? ['attention.self.query', 'attention.self.value'];
  const lora: AdapterSnapshot['lora'] = {};
  opts.ranks.forEach((r, l) => {
    if (r === 0) return;
    for (const tg of targets) {
      const d = targetShape(tg, TINY);
      // Large enough that the adapter visibly moves predictions (so a wrong merge cannot pass).
      lora[`${l}.${tg}`] = { A: t([r, d.in], 0.2), B: t([d.out, r], 0.2) };
    }
  });
  const heads: Record<string, NamedTensor> = {};
  if (opts.regression ?? true) {
    heads['regression.dense.weight'] = t([128, H], 0.3);
    heads['regression.dense.bias'] = t([128], 0.1);
    heads['regression.out.weight'] = t([1, 128], 0.3);
    heads['regression.out.bias'] = t([1], 0.1);
  }
  const K = opts.classes ?? 3;
  if (K > 0) {
    heads['classification.dense.weight'] = t([128, H], 0.3);
    heads['classification.dense.bias'] = t([128], 0.1);
    heads['classification.out.weight'] = t([K, 128], 0.3);
    heads['classification.out.bias'] = t([K], 0.1);
  }
  return {
    baseModel: TINY.id,
    targets,
    ranks: opts.ranks,
    alphas: opts.alphas ?? opts.ranks.map(() => 16),
    rslora: opts.rslora ?? false,
    loraDropout: 0.1,
    lora,
    heads,
    classNames: Array.from({ length: K }, (_, i) => ['negative', 'neutral', 'positive', 'other'][i] ?? `c${i}`),
  };
}
