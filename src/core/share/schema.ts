/**
 * The shared-results document: everything a read-only results page needs (model, dataset fingerprint,
 * settings, every trial's configuration and metrics, the best pattern) and nothing more. It never holds
 * dataset text: only a SHA-256, the row count and label statistics.
 *
 * This zod schema is the single gate for data that comes from outside (share links, run files, Ray Tune
 * results). Every string is length-limited and, where its domain allows, restricted to a safe alphabet;
 * free-text fields (run title, class names) are allowed any printable text and must be rendered as text
 * (Svelte `{value}`, never `{@html}`): see `toPlainText`.
 */
import { z } from 'zod';
import { TARGET_MODULES } from '../model/adapter';
import { TEXT_RULES, UNSAFE_CHARS } from '../data/textRules';
import { isBetter, SHARED_TRIAL_STATUSES, type Direction } from '../vocabulary';

export const SHARE_SCHEMA_VERSION = 1 as const;

export const LIMITS = {
  maxLayers: 128,
  maxTrials: 2000,
  maxMetrics: 32,
  maxCurve: 1000,
  maxHistogramBins: 200,
  maxClasses: TEXT_RULES.maxClasses,
  maxRankChoices: 64,
  maxRank: 65536,
  maxTitle: TEXT_RULES.maxName,
  maxClassName: TEXT_RULES.maxClassName,
} as const;

/** Keys that would reach Object.prototype if an object were built from them carelessly. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const finite = () => z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const nonNegInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().min(0).max(max);

/** Free text shown to the user: bounded, no control or bidi-override characters. */
export const plainText = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => !UNSAFE_CHARS.test(s), { message: 'contains control or bidi-override characters' });

export const metricName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, { message: 'must be a metric name (letters, digits, _; at most 32)' })
  .refine((s) => !(FORBIDDEN_KEYS as readonly string[]).includes(s), { message: 'is a reserved name' });

export const modelId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/, {
    message: 'must be a model id like "FacebookAI/roberta-large" (letters, digits, . _ - and one /)',
  });

const strategyName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _+.\/-]{0,79}$/, { message: 'must be a strategy name (letters, digits, spaces and _+./-; at most 80)' });

export const metricsRecord = z
  .record(metricName, finite())
  .refine((r) => Object.keys(r).length <= LIMITS.maxMetrics, { message: `at most ${LIMITS.maxMetrics} metrics` });


const rank = nonNegInt(LIMITS.maxRank);

/** `384@512@256`: ranks per group joined by `@`, the paper's naming. */
export function configName(ranks: readonly number[]): string {
  return ranks.join('@');
}

export const trialSchema = z
  .strictObject({
    config: z.string().max(LIMITS.maxLayers * 6),
    ranks: z.array(rank).min(1).max(LIMITS.maxLayers),
    params: nonNegInt(),
    metrics: metricsRecord,
    status: z.enum(SHARED_TRIAL_STATUSES),
    timeMs: finite().min(0),
    epochs: finite().min(0).max(100000),
    /** Objective value after each epoch (optional: dropped from links when they grow too long). */
    curve: z.array(finite()).max(LIMITS.maxCurve).optional(),
  })
  .refine((t) => t.config === configName(t.ranks), { message: 'config must be the ranks joined by "@"', path: ['config'] });
export type ShareTrial = z.infer<typeof trialSchema>;

export const datasetSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex digits' }),
  rows: nonNegInt(100_000_000),
  task: z.enum(['score', 'label', 'both']),
  score: z
    .strictObject({
      mean: finite(),
      sd: finite().min(0),
      min: finite(),
      max: finite(),
      /** Counts over equal-width bins spanning [min, max]. */
      histogram: z.array(nonNegInt()).max(LIMITS.maxHistogramBins),
    })
    .optional(),
  classes: z
    .strictObject({
      names: z.array(plainText(LIMITS.maxClassName)).max(LIMITS.maxClasses),
      counts: z.array(nonNegInt()).max(LIMITS.maxClasses),
    })
    .refine((c) => c.names.length === c.counts.length, { message: 'names and counts must have the same length' })
    .optional(),
});

export const settingsSchema = z
  .strictObject({
    strategy: strategyName,
    /** Allowed rank values. */
    rankChoices: z.array(rank).min(1).max(LIMITS.maxRankChoices),
    /** Layer group sizes, in layer order (sum = number of layers); all 1s for per-layer search. */
    groups: z.array(z.number().int().min(1).max(LIMITS.maxLayers)).min(1).max(LIMITS.maxLayers),
    /** Parameter budget (trainable LoRA parameters). */
    budget: nonNegInt(),
    targets: z.array(z.enum(TARGET_MODULES)).min(1).max(TARGET_MODULES.length),
    epochs: z.number().int().min(1).max(100000),
    lr: finite().positive().max(10),
    batchSize: z.number().int().min(1).max(100000),
    maxLength: z.number().int().min(3).max(100000),
    lossWeights: z.strictObject({
      mode: z.enum(['constant', 'adaptive']),
      regression: finite().min(0).max(1000),
      classification: finite().min(0).max(1000),
    }),
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    objective: z.strictObject({ metric: metricName, direction: z.enum(['min', 'max']) }),
    lora: z
      .strictObject({
        /** alpha_i = alpha, or alpha · r_i when alphaPerRank (then the scale alpha_i / r_i is constant). */
        alpha: finite().positive().max(1e6),
        alphaPerRank: z.boolean(),
        dropout: finite().min(0).max(1),
        rslora: z.boolean(),
      })
      .optional(),
    /** Multi-fidelity settings when a scheduler promoted trials (ASHA / successive halving). */
    fidelity: z
      .strictObject({ minEpochs: z.number().int().min(1).max(100000), eta: z.number().int().min(2).max(100) })
      .optional(),
  })
  .refine((s) => new Set(s.targets).size === s.targets.length, { message: 'targets must not repeat', path: ['targets'] });
export type ShareSettings = z.infer<typeof settingsSchema>;

export const modelSchema = z.strictObject({
  id: modelId,
  layers: z.number().int().min(1).max(LIMITS.maxLayers),
  hidden: z.number().int().min(1).max(65536),
  intermediate: z.number().int().min(1).max(262144),
});
export type ShareModel = z.infer<typeof modelSchema>;

export const bestSchema = z
  .strictObject({ config: z.string().max(LIMITS.maxLayers * 6), ranks: z.array(rank).min(1).max(LIMITS.maxLayers), metrics: metricsRecord })
  .refine((b) => b.config === configName(b.ranks), { message: 'config must be the ranks joined by "@"', path: ['config'] });

/**
 * The trivial baseline of a run, computed once on the run's own train/validation split: the mean of the
 * training scores and the majority class of the training rows, each scored on the validation rows with the
 * same metrics as the trials. Optional in the document: links and files made before it existed still open.
 */
export const trivialBaselineSchema = z.strictObject({
  /** Metrics of the constant predictors on the validation rows (mse… of the mean; accuracy… of the majority). */
  metrics: metricsRecord,
  /** Mean of the training scores: the constant the score baseline predicts. */
  mean: finite().optional(),
  /** The most frequent class among the training rows (ties: the lowest class id). */
  majority: z.strictObject({ index: nonNegInt(LIMITS.maxClasses), name: plainText(LIMITS.maxClassName) }).optional(),
  trainRows: nonNegInt(100_000_000),
  valRows: nonNegInt(100_000_000),
});
export type TrivialBaseline = z.infer<typeof trivialBaselineSchema>;

/**
 * Metrics on the held-out test rows (the dataset's test part, never trained on nor used to choose): of the
 * best configuration, of the uniform configuration it is compared with, and of the trivial baseline. The
 * search chose on validation; these say how that choice holds on rows it never saw. Optional: only runs
 * whose dataset has a test part carry it.
 */
const testEntrySchema = z.strictObject({ config: z.string().max(LIMITS.maxLayers * 6), metrics: metricsRecord });
export const testReportSchema = z.strictObject({
  rows: nonNegInt(100_000_000),
  best: testEntrySchema.optional(),
  uniform: testEntrySchema.optional(),
  trivial: metricsRecord.optional(),
  /** Why a configuration has no test metrics (e.g. its adapter was too large to keep). */
  note: plainText(300).optional(),
});
export type TestReport = z.infer<typeof testReportSchema>;

export const shareDocSchema = z
  .strictObject({
    schemaVersion: z.literal(SHARE_SCHEMA_VERSION),
    title: plainText(LIMITS.maxTitle).optional(),
    createdAt: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/, { message: 'must be an ISO date like 2025-01-31T12:00:00Z' })
      .optional(),
    model: modelSchema,
    dataset: datasetSchema,
    settings: settingsSchema,
    trials: z.array(trialSchema).max(LIMITS.maxTrials),
    best: bestSchema.nullable(),
    baseline: trivialBaselineSchema.optional(),
    test: testReportSchema.optional(),
  })
  .superRefine((d, ctx) => {
    const g = d.settings.groups.reduce((a, b) => a + b, 0);
    if (g !== d.model.layers)
      ctx.addIssue({ code: 'custom', path: ['settings', 'groups'], message: `group sizes add up to ${g} but the model has ${d.model.layers} layers` });
    d.trials.forEach((t, i) => {
      if (t.ranks.length !== d.settings.groups.length)
        ctx.addIssue({ code: 'custom', path: ['trials', i, 'ranks'], message: `has ${t.ranks.length} ranks but there are ${d.settings.groups.length} groups` });
    });
    if (d.best && d.best.ranks.length !== d.settings.groups.length)
      ctx.addIssue({ code: 'custom', path: ['best', 'ranks'], message: `has ${d.best.ranks.length} ranks but there are ${d.settings.groups.length} groups` });
  });
export type ShareDoc = z.infer<typeof shareDocSchema>;

/** `trials[3].metrics.mse` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += (s ? '.' : '') + String(p);
  }
  return s || '(document)';
}

/** User-readable summary of zod issues: at most `max` of them, each naming its field. */
export function formatIssues(error: z.ZodError, max = 5): string {
  const parts = error.issues.slice(0, max).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = error.issues.length > max ? ` (and ${error.issues.length - max} more)` : '';
  return parts.join('; ') + more;
}

/**
 * The best trial by the objective: completed ("done") trials first, so a trial stopped early by a
 * multi-fidelity scheduler never wins on a shorter budget; any trial with the metric otherwise.
 */
export function pickBest(trials: readonly ShareTrial[], objective: { metric: string; direction: Direction }): ShareTrial | null {
  const has = (t: ShareTrial) => Number.isFinite(t.metrics[objective.metric]);
  const done = trials.filter((t) => t.status === 'done' && has(t));
  const pool = done.length ? done : trials.filter(has);
  if (!pool.length) return null;
  return pool.reduce((a, b) => (isBetter(b.metrics[objective.metric], a.metrics[objective.metric], objective.direction) ? b : a));
}

/** Expand group ranks to one rank per layer. */
export function layerRanks(groups: readonly number[], groupRanks: readonly number[]): number[] {
  const out: number[] = [];
  groups.forEach((n, g) => {
    for (let i = 0; i < n; i++) out.push(groupRanks[g]);
  });
  return out;
}

/**
 * Text from a decoded document, made safe to display as text: control and bidi-override characters become
 * U+FFFD and the length is capped. It does NOT make a string safe for `innerHTML`/`{@html}`: nothing from a
 * shared document may ever go there. The UI renders every field with Svelte text interpolation `{s}`.
 */
export function toPlainText(s: unknown, max = 200): string {
  const str = typeof s === 'string' ? s : typeof s === 'number' && Number.isFinite(s) ? String(s) : '';
  // eslint-disable-next-line no-control-regex
  const cleaned = str.replace(new RegExp(UNSAFE_CHARS.source, 'g'), '\uFFFD');
  return cleaned.length > max ? cleaned.slice(0, max - 1) + '…' : cleaned;
}
