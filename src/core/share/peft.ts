/**
 * PEFT-compatible LoRA adapter export/import (the layout `PeftModel.from_pretrained` reads).
 *
 * Files in the zip:
 * - `adapter_config.json`: LoraConfig fields. `r` / `lora_alpha` are the most common values; layers that
 *   differ are listed in `rank_pattern` / `alpha_pattern`, keyed by module path
 *   (`roberta.encoder.layer.3.attention.self.query`). PEFT matches those keys with
 *   `re.match(rf"(.*\.)?({key})$", module_name)` (peft/utils/other.py get_pattern_key).
 *   Rank-0 layers cannot be expressed as a rank (PEFT rejects r = 0), so they are left out of the targets:
 *   `layers_to_transform` lists the adapted layers. When the short target names would be ambiguous for
 *   PEFT's suffix matching (`output.dense` also matches `attention.output.dense`), `target_modules` is a
 *   regular expression over full module names instead (PEFT then fullmatches it).
 * - `adapter_model.safetensors`: `base_model.model.roberta.encoder.layer.{i}.{target}.lora_A.weight` [r, in]
 *   and `.lora_B.weight` [out, r]; heads (listed in `modules_to_save`) as
 *   `base_model.model.classifier.dense.{weight,bias}`, `base_model.model.classifier.out_proj.{weight,bias}`
 *   (the layout of transformers' RobertaClassificationHead: dense → tanh → out_proj) and
 *   `base_model.model.regression.dense.{weight,bias}`, `base_model.model.regression.out.{weight,bias}`
 *   (Rank Lab's regression head: dense → sigmoid → out, not a transformers class).
 * - `rank_lab.json`: what PEFT has no field for (class names, per-layer ranks/alphas, head description).
 *   Kept out of adapter_config.json because older PEFT versions refuse unknown config keys.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { TARGET_MODULES, TARGET_SHORT, type AdapterSnapshot, type TargetModule } from '../model/adapter';
import { parseSafetensors, writeSafetensors, type NamedTensor } from '../model/safetensors';
import { targetShape, type ModelSize } from '../model/shape';

export const PEFT_PREFIX = 'base_model.model.';
/** Snapshot head key → PEFT state-dict key (after `base_model.model.`). */
export const HEAD_EXPORT_NAMES: Record<string, string> = {
  'classification.dense.weight': 'classifier.dense.weight',
  'classification.dense.bias': 'classifier.dense.bias',
  'classification.out.weight': 'classifier.out_proj.weight',
  'classification.out.bias': 'classifier.out_proj.bias',
  'regression.dense.weight': 'regression.dense.weight',
  'regression.dense.bias': 'regression.dense.bias',
  'regression.out.weight': 'regression.out.weight',
  'regression.out.bias': 'regression.out.bias',
};
const HEAD_IMPORT_NAMES: Record<string, string> = Object.fromEntries(Object.entries(HEAD_EXPORT_NAMES).map(([a, b]) => [b, a]));

export interface PeftAdapterConfig {
  peft_type: 'LORA';
  task_type: string | null;
  base_model_name_or_path: string | null;
  r: number;
  lora_alpha: number;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  target_modules: string[] | string;
  layers_to_transform: number[] | null;
  layers_pattern: string | null;
  lora_dropout: number;
  use_rslora: boolean;
  bias: 'none';
  fan_in_fan_out: false;
  inference_mode: true;
  modules_to_save: string[] | null;
  init_lora_weights: true;
  revision: null;
}

export interface PeftExportOptions {
  /** Written to base_model_name_or_path (default: snapshot.baseModel). */
  baseModelNameOrPath?: string;
  /** Default "SEQ_CLS" (the heads are sequence-level); "FEATURE_EXTRACTION" when exporting no head. */
  taskType?: string;
  /** Extra files to add to the zip (e.g. README.md, the run's results JSON). */
  extraFiles?: Record<string, string | Uint8Array>;
}

/** Module path of a LoRA target inside RobertaFor* models. */
export const modulePath = (layer: number, target: TargetModule) => `roberta.encoder.layer.${layer}.${target}`;

function mostCommon(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0];
  for (const [v, c] of counts) if (c > counts.get(best)! || (c === counts.get(best)! && v < best)) best = v;
  return best;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** adapter_config.json contents for a snapshot. */
export function peftConfigFor(snapshot: AdapterSnapshot, opts: PeftExportOptions = {}): PeftAdapterConfig {
  const L = snapshot.ranks.length;
  const adapted = snapshot.ranks.flatMap((r, i) => (r > 0 ? [i] : []));
  if (adapted.length === 0) throw new Error('This adapter has rank 0 in every layer: there is no LoRA weight to export.');
  if (snapshot.alphas.length !== L) throw new Error(`The adapter has ${L} ranks but ${snapshot.alphas.length} alphas.`);
  const r = mostCommon(adapted.map((i) => snapshot.ranks[i]));
  const alpha = mostCommon(adapted.map((i) => snapshot.alphas[i]));
  const rank_pattern: Record<string, number> = {};
  const alpha_pattern: Record<string, number> = {};
  for (const i of adapted)
    for (const t of snapshot.targets) {
      if (snapshot.ranks[i] !== r) rank_pattern[modulePath(i, t)] = snapshot.ranks[i];
      if (snapshot.alphas[i] !== alpha) alpha_pattern[modulePath(i, t)] = snapshot.alphas[i];
    }
  // PEFT matches list entries as name suffixes: "output.dense" would also catch "attention.output.dense".
  const ambiguous = snapshot.targets.includes('output.dense') && !snapshot.targets.includes('attention.output.dense');
  const allLayers = adapted.length === L;
  let target_modules: string[] | string;
  let layers_to_transform: number[] | null = null;
  let layers_pattern: string | null = null;
  if (ambiguous) {
    target_modules = `^(.*\\.)?encoder\\.layer\\.(${adapted.join('|')})\\.(${snapshot.targets.map(escapeRe).join('|')})$`;
  } else {
    target_modules = snapshot.targets.map((t) => TARGET_SHORT[t]);
    if (!allLayers) {
      layers_to_transform = adapted;
      layers_pattern = 'layer';
    }
  }
  const modules_to_save = [
    ...(Object.keys(snapshot.heads).some((k) => k.startsWith('classification.')) ? ['classifier'] : []),
    ...(Object.keys(snapshot.heads).some((k) => k.startsWith('regression.')) ? ['regression'] : []),
  ];
  return {
    peft_type: 'LORA',
    task_type: opts.taskType ?? (modules_to_save.length ? 'SEQ_CLS' : 'FEATURE_EXTRACTION'),
    base_model_name_or_path: opts.baseModelNameOrPath ?? snapshot.baseModel,
    r,
    lora_alpha: alpha,
    rank_pattern,
    alpha_pattern,
    target_modules,
    layers_to_transform,
    layers_pattern,
    lora_dropout: snapshot.loraDropout,
    use_rslora: snapshot.rslora,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    modules_to_save: modules_to_save.length ? modules_to_save : null,
    init_lora_weights: true,
    revision: null,
  };
}

/** The PEFT state dict for a snapshot, keyed by PEFT names. */
export function peftTensorsFor(snapshot: AdapterSnapshot): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  snapshot.ranks.forEach((r, i) => {
    if (r === 0) return;
    for (const t of snapshot.targets) {
      const w = snapshot.lora[`${i}.${t}`];
      if (!w) throw new Error(`The adapter has rank ${r} in layer ${i} but no LoRA weights for ${t}.`);
      if (w.A.shape[0] !== r || w.B.shape[1] !== r)
        throw new Error(`Layer ${i} ${t}: A is [${w.A.shape}] and B is [${w.B.shape}] but the rank is ${r}.`);
      out.set(`${PEFT_PREFIX}${modulePath(i, t)}.lora_A.weight`, w.A);
      out.set(`${PEFT_PREFIX}${modulePath(i, t)}.lora_B.weight`, w.B);
    }
  });
  for (const [k, v] of Object.entries(snapshot.heads)) {
    const name = HEAD_EXPORT_NAMES[k];
    if (!name) throw new Error(`Unknown head tensor "${k}" (expected one of ${Object.keys(HEAD_EXPORT_NAMES).join(', ')}).`);
    out.set(PEFT_PREFIX + name, v);
  }
  return out;
}

export interface RankLabAdapterInfo {
  format: 'rank-lab-adapter';
  version: 1;
  baseModel: string;
  targets: TargetModule[];
  ranks: number[];
  alphas: number[];
  classNames: string[];
  heads: { regression?: string; classification?: string };
}

/** Files of the adapter folder (what the zip holds), for a "save as folder" download too. */
export function peftFiles(snapshot: AdapterSnapshot, opts: PeftExportOptions = {}): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  const config = peftConfigFor(snapshot, opts);
  const info: RankLabAdapterInfo = {
    format: 'rank-lab-adapter',
    version: 1,
    baseModel: snapshot.baseModel,
    targets: snapshot.targets,
    ranks: snapshot.ranks,
    alphas: snapshot.alphas,
    classNames: snapshot.classNames,
    heads: {
      ...(config.modules_to_save?.includes('regression') ? { regression: 'first-token hidden → regression.dense → sigmoid → regression.out → score' } : {}),
      ...(config.modules_to_save?.includes('classifier')
        ? { classification: 'first-token hidden → classifier.dense → tanh → classifier.out_proj → logits (transformers RobertaClassificationHead)' }
        : {}),
    },
  };
  const files: Record<string, Uint8Array> = {
    'adapter_config.json': enc.encode(JSON.stringify(config, null, 2) + '\n'),
    'adapter_model.safetensors': writeSafetensors(peftTensorsFor(snapshot), { format: 'pt' }),
    'rank_lab.json': enc.encode(JSON.stringify(info, null, 2) + '\n'),
  };
  for (const [name, v] of Object.entries(opts.extraFiles ?? {})) files[name] = typeof v === 'string' ? enc.encode(v) : v;
  return files;
}

/** The adapter as a zip (JSON deflated, tensors stored: float bytes barely compress). */
export function exportPeftAdapter(snapshot: AdapterSnapshot, opts: PeftExportOptions = {}): Uint8Array {
  const files = peftFiles(snapshot, opts);
  const z: Zippable = {};
  for (const [name, data] of Object.entries(files)) z[name] = [data, { level: name.endsWith('.safetensors') ? 0 : 6 }];
  return zipSync(z, { mtime: new Date('2024-01-01T00:00:00Z') });
}

// ---------------------------------------------------------------------------------------------- import

/** The loaded model an imported adapter must fit: its id (compared with base_model_name_or_path) and size. */
export interface PeftExpected extends ModelSize {
  baseModel: string;
}
export type PeftImportResult = { ok: true; snapshot: AdapterSnapshot; warnings: string[] } | { ok: false; error: string };

const MAX_CONFIG_BYTES = 1_000_000;

/** "FacebookAI/roberta-large" and "roberta-large" name the same model (the hub's legacy alias). */
function sameModel(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\/+$/, '').replace(/^(facebookai|facebook)\//, '');
  return norm(a) === norm(b);
}

/** Characters that make a pattern key a regular expression rather than a module path. */
const REGEX_CHARS = /[()[\]{}*+?|^$\\]/;

/**
 * PEFT's rank_pattern / alpha_pattern lookup, with keys read as module paths: a key matches a module whose
 * name is the key or ends with "." + key (what PEFT's matching does for the plain paths Rank Lab and most
 * users write). Keys are never compiled as regular expressions: a hostile key like "(.*.*.*)*z" would
 * backtrack for minutes and freeze the worker. Returns the value, `fallback`, or why the key is refused.
 */
function patternValue(pattern: Record<string, unknown>, moduleName: string, fallback: number): number | string {
  for (const [key, v] of Object.entries(pattern)) {
    if (key.length > 500) return 'a pattern key is longer than 500 characters';
    if (REGEX_CHARS.test(key))
      return `pattern key ${JSON.stringify(key.slice(0, 80))} is a regular expression; Rank Lab reads keys as module paths or their endings (e.g. "encoder.layer.3.attention.self.query")`;
    if (moduleName === key || moduleName.endsWith('.' + key)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `pattern value for ${JSON.stringify(key)} is not a number`;
      return v;
    }
  }
  return fallback;
}

/** Largest lora_alpha accepted: far above any real setting (α = 2·r at r = 1024 is 2,048), far below overflow. */
const MAX_ALPHA = 65_536;
/** Most classes a classification head may have (the data page's own limit is lower). */
const MAX_HEAD_CLASSES = 1_000;

/**
 * The most bytes a (F32) adapter for this model can hold: full-rank LoRA on every target of every layer plus
 * both heads, and 1 MB of header. A zip entry declaring more is refused before anything is inflated.
 */
export function adapterBytesBound(e: PeftExpected): number {
  let perLayer = 0;
  for (const t of TARGET_MODULES) {
    const d = targetShape(t, e);
    perLayer += Math.min(d.in, d.out) * (d.in + d.out);
  }
  const heads = 2 * (e.hidden * e.hidden + e.hidden) + e.hidden * (1 + MAX_HEAD_CLASSES) + 1 + MAX_HEAD_CLASSES;
  return (e.layers * perLayer + heads) * 4 + 1_000_000;
}

function pickFiles(input: Uint8Array | Record<string, Uint8Array>, expected: PeftExpected): Record<string, Uint8Array> | string {
  if (!(input instanceof Uint8Array)) return input;
  if (input.length < 4 || input[0] !== 0x50 || input[1] !== 0x4b) return 'The file is not a zip archive (select the exported .zip, or the adapter folder\'s files).';
  // Sizes come from the zip's directory and are checked before any entry is inflated: a small zip can
  // declare gigabytes (a "zip bomb"), and inflating first would allocate them.
  const weightsBound = adapterBytesBound(expected);
  const seen = new Set<string>();
  let total = 0;
  try {
    const wanted = /(^|\/)(adapter_config\.json|adapter_model\.safetensors|rank_lab\.json)$/;
    return unzipSync(input, {
      filter: (f) => {
        const m = wanted.exec(f.name);
        if (!m || f.name.includes('__MACOSX')) return false;
        const base = m[2];
        if (seen.has(base)) throw new Error(`it holds ${base} twice ("${f.name}"); an adapter has one`);
        seen.add(base);
        const bound = base === 'adapter_model.safetensors' ? weightsBound : MAX_CONFIG_BYTES;
        if (!(f.originalSize <= bound))
          throw new Error(`"${f.name}" declares ${f.originalSize.toLocaleString('en-US')} bytes unpacked, more than ${base === 'adapter_model.safetensors' ? `any adapter for this model can hold (${weightsBound.toLocaleString('en-US')})` : 'the 1 MB a config file may have'}`);
        total += f.originalSize;
        if (total > weightsBound + 2 * MAX_CONFIG_BYTES) throw new Error('its files declare more bytes in total than an adapter for this model can hold');
        return true;
      },
    });
  } catch (e) {
    return `The zip archive could not be read: ${(e as Error).message}.`;
  }
}

const TARGET_RE = TARGET_MODULES.map(escapeRe).join('|');
const LORA_KEY = new RegExp(`^base_model\\.model\\.(?:roberta\\.)?encoder\\.layer\\.(\\d+)\\.(${TARGET_RE})\\.lora_([AB])(?:\\.default)?\\.weight$`);

/**
 * Read a PEFT LoRA adapter (zip, or the folder's files by name) for the model loaded in the lab.
 * Checks: LORA type, base model, supported options, every key known, A/B pairs complete, shapes against
 * the model's sizes, ranks and alphas consistent with the config.
 */
export function importPeftAdapter(input: Uint8Array | Record<string, Uint8Array>, expected: PeftExpected): PeftImportResult {
  const fail = (error: string): PeftImportResult => ({ ok: false, error });
  const warnings: string[] = [];
  const picked = pickFiles(input, expected);
  if (typeof picked === 'string') return fail(picked);
  const byBase = (name: string) => Object.entries(picked).find(([k]) => k === name || k.endsWith('/' + name))?.[1];
  const cfgBytes = byBase('adapter_config.json');
  const weights = byBase('adapter_model.safetensors');
  if (!cfgBytes) return fail('adapter_config.json is missing: a PEFT adapter folder has adapter_config.json and adapter_model.safetensors.');
  if (!weights) {
    if (byBase('adapter_model.bin')) return fail('Only adapter_model.bin (a pickle) was found; Rank Lab reads adapter_model.safetensors only.');
    return fail('adapter_model.safetensors is missing from the adapter.');
  }
  if (cfgBytes.length > MAX_CONFIG_BYTES) return fail('adapter_config.json is larger than 1 MB: not a PEFT config.');
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(cfgBytes));
    if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new Error('not an object');
  } catch (e) {
    return fail(`adapter_config.json is not valid JSON (${(e as Error).message}).`);
  }
  if (cfg.peft_type !== 'LORA') return fail(`adapter_config.json: peft_type is ${JSON.stringify(cfg.peft_type)}; only LORA adapters can be loaded.`);
  const base = cfg.base_model_name_or_path;
  if (typeof base === 'string' && base.length > 0) {
    if (!sameModel(base, expected.baseModel))
      return fail(`This adapter was trained on "${base}" but the loaded model is "${expected.baseModel}". Load "${base}" first, then import the adapter.`);
  } else warnings.push('adapter_config.json does not name its base model; the weights were checked against the loaded model\'s sizes only.');
  if (cfg.fan_in_fan_out === true) return fail('adapter_config.json: fan_in_fan_out is true, which is for GPT-2 style Conv1D layers, not RoBERTa.');
  if (cfg.bias !== undefined && cfg.bias !== 'none') return fail(`adapter_config.json: bias is "${String(cfg.bias)}"; only adapters with bias "none" are supported (trained biases would change the base model).`);
  if (cfg.use_dora === true) return fail('adapter_config.json: use_dora is true; DoRA adapters are not supported.');
  const r0 = cfg.r;
  const alpha0 = cfg.lora_alpha;
  if (typeof r0 !== 'number' || !Number.isInteger(r0) || r0 < 1) return fail(`adapter_config.json: r must be a positive integer (found ${JSON.stringify(r0)}).`);
  if (typeof alpha0 !== 'number' || !Number.isFinite(alpha0)) return fail(`adapter_config.json: lora_alpha must be a number (found ${JSON.stringify(alpha0)}).`);
  if (!(alpha0 > 0 && alpha0 <= MAX_ALPHA)) return fail(`adapter_config.json: lora_alpha ${alpha0} is outside (0, ${MAX_ALPHA}]; no trained adapter uses such a scale.`);
  const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const rankPattern = cfg.rank_pattern ?? {};
  const alphaPattern = cfg.alpha_pattern ?? {};
  if (!isRecord(rankPattern)) return fail('adapter_config.json: rank_pattern must be an object.');
  if (!isRecord(alphaPattern)) return fail('adapter_config.json: alpha_pattern must be an object.');
  const dropout = typeof cfg.lora_dropout === 'number' && cfg.lora_dropout >= 0 && cfg.lora_dropout < 1 ? cfg.lora_dropout : 0;
  const rslora = cfg.use_rslora === true;

  let tensors: Map<string, NamedTensor>;
  try {
    tensors = parseSafetensors(weights).tensors;
  } catch (e) {
    return fail(`adapter_model.safetensors: ${(e as Error).message}`);
  }
  const { layers: L, hidden: H } = expected;
  const lora = new Map<string, { A?: NamedTensor; B?: NamedTensor }>();
  const heads: Record<string, NamedTensor> = {};
  const unknown: string[] = [];
  for (const [name, t] of tensors) {
    const m = LORA_KEY.exec(name);
    if (m) {
      const layer = Number(m[1]);
      if (layer >= L) return fail(`adapter_model.safetensors: "${name}" is for layer ${layer} but the loaded model has ${L} layers (0–${L - 1}).`);
      const key = `${layer}.${m[2]}`;
      const e = lora.get(key) ?? {};
      e[m[3] as 'A' | 'B'] = t;
      lora.set(key, e);
      continue;
    }
    // Own keys only: a tensor named "constructor" or "__proto__" must not find Object.prototype's members.
    const short = name.startsWith(PEFT_PREFIX) ? name.slice(PEFT_PREFIX.length).replace('.modules_to_save.default.', '.') : undefined;
    const head = short !== undefined && Object.hasOwn(HEAD_IMPORT_NAMES, short) ? HEAD_IMPORT_NAMES[short] : undefined;
    if (head) heads[head] = t;
    else unknown.push(name);
  }
  if (unknown.length)
    return fail(
      `adapter_model.safetensors holds tensors Rank Lab cannot place: ${unknown.slice(0, 3).map((s) => `"${s}"`).join(', ')}` +
        `${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}. Supported: LoRA A/B of ${TARGET_MODULES.join(', ')} and the heads ${Object.values(HEAD_EXPORT_NAMES).join(', ')}.`,
    );
  if (lora.size === 0) return fail('adapter_model.safetensors holds no LoRA weights (no "…lora_A.weight" keys for RoBERTa encoder layers).');

  const targets = TARGET_MODULES.filter((t) => [...lora.keys()].some((k) => k.slice(k.indexOf('.') + 1) === t));
  const ranks = new Array<number>(L).fill(0);
  const alphas = new Array<number>(L).fill(alpha0);
  const out: AdapterSnapshot['lora'] = {};
  for (let i = 0; i < L; i++) {
    const present = targets.filter((t) => lora.has(`${i}.${t}`));
    if (present.length === 0) continue;
    for (const t of targets) {
      const e = lora.get(`${i}.${t}`);
      const mod = modulePath(i, t);
      if (!e) return fail(`adapter_model.safetensors: layer ${i} has LoRA weights for ${present.join(', ')} but is missing ${t} (Rank Lab adapts the same modules in every adapted layer).`);
      if (!e.A) return fail(`adapter_model.safetensors: "${PEFT_PREFIX}${mod}.lora_A.weight" is missing (its lora_B is present).`);
      if (!e.B) return fail(`adapter_model.safetensors: "${PEFT_PREFIX}${mod}.lora_B.weight" is missing (its lora_A is present).`);
      const d = targetShape(t, expected);
      const r = e.A.shape[0];
      if (e.A.shape.length !== 2 || e.A.shape[1] !== d.in)
        return fail(`${mod}.lora_A has shape [${e.A.shape}] but the loaded model needs [r, ${d.in}]: the adapter was made for a model of another size.`);
      if (e.B.shape.length !== 2 || e.B.shape[0] !== d.out || e.B.shape[1] !== r)
        return fail(`${mod}.lora_B has shape [${e.B.shape}] but [${d.out}, ${r}] is needed (out features × the rank of lora_A).`);
      if (r < 1) return fail(`${mod}: rank 0 tensors are not a valid adapter.`);
      if (ranks[i] !== 0 && ranks[i] !== r)
        return fail(`Layer ${i} has rank ${ranks[i]} in one module and ${r} in ${t}; Rank Lab holds one rank per layer.`);
      ranks[i] = r;
      const cr = patternValue(rankPattern, mod, r0);
      if (typeof cr === 'string') return fail(`adapter_config.json: rank_pattern: ${cr}.`);
      if (cr !== r) return fail(`adapter_config.json gives ${mod} rank ${cr}, but its weights have rank ${r}.`);
      const ca = patternValue(alphaPattern, mod, alpha0);
      if (typeof ca === 'string') return fail(`adapter_config.json: alpha_pattern: ${ca}.`);
      if (!(ca > 0 && ca <= MAX_ALPHA)) return fail(`adapter_config.json: alpha_pattern gives ${mod} lora_alpha ${ca}, outside (0, ${MAX_ALPHA}].`);
      if (present.length && t !== present[0] && ca !== alphas[i])
        return fail(`Layer ${i} has lora_alpha ${alphas[i]} in one module and ${ca} in ${t}; Rank Lab holds one alpha per layer.`);
      alphas[i] = ca;
      out[`${i}.${t}`] = { A: e.A, B: e.B };
    }
  }

  // Heads: complete pairs with shapes that fit the hidden size.
  for (const [h, n] of [['regression', 1], ['classification', 0]] as const) {
    const keys = Object.keys(heads).filter((k) => k.startsWith(h + '.'));
    if (keys.length === 0) continue;
    const need = [`${h}.dense.weight`, `${h}.dense.bias`, `${h}.out.weight`, `${h}.out.bias`];
    const miss = need.find((k) => !heads[k]);
    if (miss) return fail(`adapter_model.safetensors: head tensor "${PEFT_PREFIX}${HEAD_EXPORT_NAMES[miss]}" is missing.`);
    const dw = heads[`${h}.dense.weight`].shape;
    const ow = heads[`${h}.out.weight`].shape;
    if (dw.length !== 2 || dw[1] !== H) return fail(`${HEAD_EXPORT_NAMES[`${h}.dense.weight`]} has shape [${dw}] but the model's hidden size is ${H}.`);
    if (heads[`${h}.dense.bias`].shape[0] !== dw[0] || ow.length !== 2 || ow[1] !== dw[0] || (n === 1 && ow[0] !== 1) || heads[`${h}.out.bias`].shape[0] !== ow[0])
      return fail(`The ${h} head's shapes do not fit together: dense [${dw}], out [${ow}].`);
  }
  if (!Object.keys(heads).length)
    return fail('adapter_model.safetensors has no task head (regression or classifier in modules_to_save): Rank Lab predicts through a head, so an adapter without one cannot be used. Export it with its head.');
  const K = heads['classification.out.weight']?.shape[0] ?? 0;
  if (K > MAX_HEAD_CLASSES) return fail(`The classifier has ${K} classes; Rank Lab reads at most ${MAX_HEAD_CLASSES}.`);
  let classNames: string[] = Array.from({ length: K }, (_, i) => `class ${i}`);
  const infoBytes = byBase('rank_lab.json');
  if (infoBytes && infoBytes.length < MAX_CONFIG_BYTES) {
    try {
      const info = JSON.parse(new TextDecoder().decode(infoBytes));
      if (Array.isArray(info?.classNames) && info.classNames.length === K && info.classNames.every((c: unknown) => typeof c === 'string' && c.length <= 200))
        classNames = info.classNames;
      else if (K) warnings.push('rank_lab.json has no usable class names; classes are shown as "class 0", "class 1", ….');
    } catch {
      warnings.push('rank_lab.json is not valid JSON and was ignored.');
    }
  }
  return {
    ok: true,
    warnings,
    snapshot: { baseModel: typeof base === 'string' && base ? base : expected.baseModel, targets, ranks, alphas, rslora, loraDropout: dropout, lora: out, heads, classNames },
  };
}
