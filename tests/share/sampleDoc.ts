/** Realistic results documents for tests: a seeded 64-trial roberta-large search (3 groups of 8 layers). */
import { Rng } from '../../src/core/util/rng';
import { configName, layerRanks, type ShareDoc, type ShareTrial } from '../../src/core/share/schema';
import { loraParamCount, ROBERTA_SIZES, targetShapes } from '../../src/core/model/shape';

export function sampleDoc(opts: { trials?: number; groups?: number[]; curves?: boolean; seed?: number } = {}): ShareDoc {
  const rng = new Rng(opts.seed ?? 7);
  const groups = opts.groups ?? [8, 8, 8];
  const layers = groups.reduce((a, b) => a + b, 0);
  const rankChoices = [0, 8, 16, 32, 64, 128, 256, 384, 512];
  const targets = ['attention.self.query', 'attention.self.value'] as const;
  const shapes = targetShapes(targets, ROBERTA_SIZES['roberta-large']);
  const budget = loraParamCount(new Array(layers).fill(512), shapes);
  const trials: ShareTrial[] = [];
  const seen = new Set<string>();
  const n = opts.trials ?? 64;
  while (trials.length < n) {
    const ranks = groups.map(() => rng.pick(rankChoices));
    const config = configName(ranks);
    if (seen.has(config) && seen.size < 9 ** groups.length) continue;
    seen.add(config);
    const mse = 0.0175 + 0.006 * rng.next();
    const epochs = rng.pick([1, 3, 9, 27]);
    const t: ShareTrial = {
      config,
      ranks,
      params: loraParamCount(layerRanks(groups, ranks), shapes),
      metrics: { mse, mae: Math.sqrt(mse) * 0.8, rmse: Math.sqrt(mse), r2: 1 - mse / 0.06, accuracy: 0.5 + 0.3 * rng.next(), f1: 0.4 + 0.4 * rng.next() },
      status: rng.next() < 0.8 ? 'done' : 'pruned',
      timeMs: 1000 * 3600 * (1 + 70 * rng.next()),
      epochs,
    };
    if (opts.curves) t.curve = Array.from({ length: epochs }, (_, e) => mse * (1 + 2 / (e + 1)) + 0.001 * rng.next());
    trials.push(t);
  }
  const best = trials.reduce((a, b) => (b.metrics.mse < a.metrics.mse ? b : a));
  return {
    schemaVersion: 1,
    title: 'EUR/USD microblogs, 3 groups',
    createdAt: '2025-03-01T12:34:56.789Z',
    model: { id: 'FacebookAI/roberta-large', layers, hidden: 1024, intermediate: 4096 },
    dataset: {
      sha256: 'a'.repeat(32) + '0123456789abcdef0123456789abcdef',
      rows: 1738,
      task: 'both',
      score: { mean: 0.0712345678, sd: 0.382345678, min: -0.954, max: 0.961, histogram: Array.from({ length: 20 }, () => rng.int(200)) },
      classes: { names: ['very negative', 'negative', 'neutral', 'positive', 'very positive'], counts: [120, 340, 400, 620, 258] },
    },
    settings: {
      strategy: 'coarse-greedy+asha',
      rankChoices,
      groups,
      budget,
      targets: [...targets],
      epochs: 27,
      lr: 1e-5,
      batchSize: 10,
      maxLength: 512,
      lossWeights: { mode: 'constant', regression: 0.75, classification: 0.25 },
      seed: 42,
      objective: { metric: 'mse', direction: 'min' },
      lora: { alpha: 16, alphaPerRank: false, dropout: 0.1, rslora: false },
      fidelity: { minEpochs: 1, eta: 3 },
    },
    trials,
    best: { config: best.config, ranks: best.ranks, metrics: best.metrics },
  };
}
