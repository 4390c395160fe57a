/**
 * Scale-out: a search exported as a runnable Ray Tune script (transformers + peft + ray[tune]) with the
 * lab's search space, budget filter, objective, seed and ASHA multi-fidelity; and the import of the
 * results file it writes (JSON Lines, format documented in the script's docstring and below).
 *
 * Results file (`rank-lab-raytune` version 1), one JSON object per line:
 *   {"kind":"header","format":"rank-lab-raytune","version":1,"model":{id,layers,hidden,intermediate},
 *    "settings":{…the lab's settings…},"dataset":{sha256,rows,task,score?,classes?}}
 *   {"kind":"trial","config":"384@512@256","group_ranks":[384,512,256],"layer_ranks":[…],"params":N,
 *    "metrics":{"mse":…},"epochs":3,"time_s":812.4,"status":"done"|"pruned"|"failed","curve":[…]}
 */
import { z } from 'zod';
// The script is a real Python file, read as text (Vite and Vitest both load `?raw` imports).
import RAY_TUNE_TEMPLATE from './rank_lab_raytune.py?raw';
import {
  configName,
  datasetSchema,
  FORBIDDEN_KEYS,
  formatIssues,
  layerRanks,
  LIMITS,
  metricsRecord,
  modelSchema,
  pickBest,
  settingsSchema,
  shareDocSchema,
  type ShareDoc,
  type ShareModel,
  type ShareSettings,
  type ShareTrial,
} from './schema';
import { costPerRank, loraParamCount, targetShapes } from '../model/shape';
import { TARGET_SHORT } from '../model/adapter';
import { DERIVED_CLASS_NAMES, DERIVED_THRESHOLDS, METRIC_NAMES } from '../vocabulary';

export const RAY_RESULTS_FORMAT = 'rank-lab-raytune' as const;

/** Where the script takes its settings: the generator puts them in place of this call's argument. */
const SETTINGS_PLACEHOLDER = 'json.loads(__SETTINGS_JSON__)';

export interface RayTuneScriptOptions {
  /** CSV column names the script reads by default (overridable on its command line). */
  columns?: { text?: string; score?: string | null; label?: string | null };
  /** Configurations to try when the feasible space is larger (default 64). */
  numSamples?: number;
}

/** JSON → a Python string literal that json.loads reads back exactly (ASCII only: no quoting surprises). */
export function pythonJsonLiteral(value: unknown): string {
  const json = JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  // A JSON string literal of ASCII text is also a valid Python string literal.
  return JSON.stringify(json);
}

export function generateRayTuneScript(src: Pick<ShareDoc, 'model' | 'settings'> & Partial<Pick<ShareDoc, 'dataset'>>, opts: RayTuneScriptOptions = {}): string {
  const model = modelSchema.parse(src.model);
  const settings = settingsSchema.parse(src.settings);
  const task = src.dataset?.task ?? 'score';
  const columns = {
    text: opts.columns?.text ?? 'text',
    score: opts.columns?.score !== undefined ? opts.columns.score : task === 'label' ? null : 'score',
    label: opts.columns?.label !== undefined ? opts.columns.label : task === 'score' ? null : 'label',
  };
  const numSamples = Math.max(1, Math.floor(opts.numSamples ?? 64));
  const payload = {
    model, settings, columns, numSamples,
    costPerRank: costPerRank(targetShapes(settings.targets, model)),
    targetShort: Object.fromEntries(settings.targets.map((t) => [t, TARGET_SHORT[t]])),
    metricNames: METRIC_NAMES,
    derivedClasses: { names: DERIVED_CLASS_NAMES, thresholds: DERIVED_THRESHOLDS },
  };
  // A function replacer: the literal must go in as written, `$` sequences and all.
  return RAY_TUNE_TEMPLATE.replace(SETTINGS_PLACEHOLDER, () => `json.loads(${pythonJsonLiteral(payload)})`);
}

/** The same feasible set the script enumerates (per-group ranks within budget, all-zero excluded). */
export function feasibleGroupConfigs(model: ShareModel, settings: ShareSettings): number[][] {
  const choices = [...settings.rankChoices].sort((a, b) => a - b);
  const shapes = targetShapes(settings.targets, model);
  const out: number[][] = [];
  const rec = (prefix: number[]) => {
    if (prefix.length === settings.groups.length) {
      if (prefix.some((r) => r > 0) && loraParamCount(layerRanks(settings.groups, prefix), shapes) <= settings.budget)
        out.push(prefix);
      return;
    }
    for (const c of choices) rec([...prefix, c]);
  };
  rec([]);
  return out;
}

const headerSchema = z.strictObject({
  kind: z.literal('header'),
  format: z.literal(RAY_RESULTS_FORMAT),
  version: z.literal(1),
  model: modelSchema,
  settings: settingsSchema,
  dataset: datasetSchema,
});

const finite = () => z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const trialLineSchema = z.strictObject({
  kind: z.literal('trial'),
  config: z.string().max(LIMITS.maxLayers * 6),
  group_ranks: z.array(z.number().int().min(0).max(LIMITS.maxRank)).min(1).max(LIMITS.maxLayers),
  layer_ranks: z.array(z.number().int().min(0).max(LIMITS.maxRank)).max(LIMITS.maxLayers).optional(),
  params: z.number().int().min(0),
  metrics: metricsRecord,
  epochs: finite().min(0),
  time_s: finite().min(0),
  status: z.enum(['done', 'pruned', 'failed']),
  curve: z.array(finite()).max(LIMITS.maxCurve).optional(),
});

export type RayImportResult = { ok: true; doc: ShareDoc; trials: ShareTrial[]; warnings: string[] } | { ok: false; error: string };

/**
 * Read a results file written by the exported script. Returns the trials and a complete results document
 * (header settings + trials + best by the objective among completed trials) ready to view and share.
 */
export function importRayTuneResults(text: string): RayImportResult {
  const fail = (why: string): RayImportResult => ({ ok: false, error: `These Ray Tune results cannot be imported: ${why}` });
  if (text.length > 50_000_000) return fail('the file is larger than 50 MB.');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: z.infer<typeof headerSchema> | null = null;
  const trials: ShareTrial[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const at = `line ${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line, (k, v) => {
        if ((FORBIDDEN_KEYS as readonly string[]).includes(k)) throw new SyntaxError(`forbidden key "${k}"`);
        return v;
      });
    } catch (e) {
      return fail(`${at} is not valid JSON (${(e as Error).message}).`);
    }
    const kind = (raw as { kind?: unknown } | null)?.kind;
    if (!header) {
      if (kind !== 'header') return fail(`${at}: the first line must be the header ({"kind": "header", "format": "${RAY_RESULTS_FORMAT}", …}); is this a Rank Lab results file?`);
      const v = (raw as { version?: unknown }).version;
      if (v !== 1) return fail(`${at}: results format version ${JSON.stringify(v)}; this version of Rank Lab reads version 1.`);
      const h = headerSchema.safeParse(raw);
      if (!h.success) return fail(`${at} (header): ${formatIssues(h.error)}.`);
      header = h.data;
      continue;
    }
    if (kind !== 'trial') return fail(`${at}: expected a trial line ("kind": "trial").`);
    const t = trialLineSchema.safeParse(raw);
    if (!t.success) return fail(`${at}: ${formatIssues(t.error)}.`);
    const d = t.data;
    if (d.config !== configName(d.group_ranks)) return fail(`${at}: config "${d.config}" does not match group_ranks [${d.group_ranks}].`);
    if (d.group_ranks.length !== header.settings.groups.length)
      return fail(`${at}: ${d.group_ranks.length} group ranks but the header's settings have ${header.settings.groups.length} groups.`);
    const lr = layerRanks(header.settings.groups, d.group_ranks);
    if (d.layer_ranks && d.layer_ranks.join() !== lr.join()) return fail(`${at}: layer_ranks do not expand group_ranks over the groups.`);
    const params = loraParamCount(lr, targetShapes(header.settings.targets, header.model));
    if (params !== d.params) warnings.push(`${at}: params ${d.params} differs from the ${params} computed for ${d.config}; kept the file's value.`);
    if (trials.length >= LIMITS.maxTrials) return fail(`more than ${LIMITS.maxTrials} trials.`);
    trials.push({
      config: d.config,
      ranks: d.group_ranks,
      params: d.params,
      metrics: d.metrics,
      status: d.status,
      timeMs: Math.round(d.time_s * 1000),
      epochs: d.epochs,
      ...(d.curve && d.curve.length ? { curve: d.curve } : {}),
    });
  }
  if (!header) return fail('the file is empty.');
  const best = pickBest(trials, header.settings.objective);
  const doc = {
    schemaVersion: 1 as const,
    model: header.model,
    dataset: header.dataset,
    settings: { ...header.settings, strategy: 'ray-tune grid+asha' },
    trials,
    best: best ? { config: best.config, ranks: best.ranks, metrics: best.metrics } : null,
  };
  const parsed = shareDocSchema.safeParse(doc);
  if (!parsed.success) return fail(formatIssues(parsed.error) + '.');
  return { ok: true, doc: parsed.data, trials: parsed.data.trials, warnings };
}
