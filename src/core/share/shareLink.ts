/**
 * Share links: `#s=` + base64url(raw DEFLATE(JSON of the wire form)).
 *
 * Wire form = the ShareDoc with its bulky part compacted, so a 64-trial run fits in a few KB:
 *   { v: 1, title?, createdAt?, model, dataset, settings,
 *     t: { k: [metric names], r: [[ranks, params, [metric values | null], statusIndex, timeMs, epochs, curve?], …] },
 *     b: index of the best trial in r | { config, ranks, metrics } | null, baseline? }
 * (`baseline`, the trivial baseline, and `test`, the held-out test metrics, were added later and are optional:
 * older links without them still open.)
 * Metrics and statistics are rounded to 6 significant digits; times to whole milliseconds.
 *
 * Decoding treats the link as hostile: size checked before inflating, inflation capped (zip bombs),
 * forbidden keys (`__proto__`, `constructor`, `prototype`) rejected while parsing, version checked, then
 * the whole document validated by the zod schema with errors naming the field (`trials[3].metrics.mse`).
 */
import { deflateSync, Inflate } from 'fflate';
import { SHARED_TRIAL_STATUSES } from '../vocabulary';
import { fromBase64Url, toBase64Url } from './base64url';
import {
  FORBIDDEN_KEYS,
  LIMITS,
  SHARE_SCHEMA_VERSION,
  configName,
  formatIssues,
  metricName,
  shareDocSchema,
  type ShareDoc,
  type ShareTrial,
} from './schema';

export const SHARE_PREFIX = '#s=';
/** Longest payload (base64url characters) accepted before anything is decoded. */
export const MAX_LINK_CHARS = 150_000;
/** Most bytes the JSON may inflate to; a deflate bomb stops here. */
export const MAX_INFLATED_BYTES = 2_000_000;
/** Links longer than this drop per-epoch curves when encoding (some chat apps cut URLs near 8 KB). */
export const TARGET_LINK_CHARS = 8000;

export type DecodeResult = { ok: true; doc: ShareDoc } | { ok: false; error: string };

type WireTrial = [number[], number, (number | null)[], number, number, number, number[]?];
interface WireDoc {
  v: number;
  title?: string;
  createdAt?: string;
  model: ShareDoc['model'];
  dataset: ShareDoc['dataset'];
  settings: ShareDoc['settings'];
  t: { k: string[]; r: WireTrial[] };
  b: number | NonNullable<ShareDoc['best']> | null;
  baseline?: ShareDoc['baseline'];
  test?: ShareDoc['test'];
}

/** Round to `digits` significant digits (keeps links short; 6 digits is far below metric noise). */
export function roundSig(x: number, digits = 6): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

function roundMetrics(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) out[k] = roundSig(v);
  return out;
}

function sameMetrics(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => roundSig(a[k]) === roundSig(b[k]));
}

function toWire(doc: ShareDoc, withCurves: boolean): WireDoc {
  const keys = [...new Set(doc.trials.flatMap((t) => Object.keys(t.metrics)))];
  const r: WireTrial[] = doc.trials.map((t) => {
    const row: WireTrial = [
      t.ranks,
      t.params,
      keys.map((k) => (k in t.metrics ? roundSig(t.metrics[k]) : null)),
      SHARED_TRIAL_STATUSES.indexOf(t.status),
      Math.round(t.timeMs),
      roundSig(t.epochs),
    ];
    if (withCurves && t.curve) row.push(t.curve.map((x) => roundSig(x)));
    return row;
  });
  let b: WireDoc['b'] = null;
  if (doc.best) {
    const best = doc.best;
    const idx = doc.trials.findIndex((t) => t.config === best.config && sameMetrics(t.metrics, best.metrics));
    b = idx >= 0 ? idx : { config: best.config, ranks: best.ranks, metrics: roundMetrics(best.metrics) };
  }
  const ds = doc.dataset;
  const dataset = ds.score
    ? { ...ds, score: { ...ds.score, mean: roundSig(ds.score.mean), sd: roundSig(ds.score.sd), min: roundSig(ds.score.min), max: roundSig(ds.score.max) } }
    : ds;
  const w: WireDoc = { v: SHARE_SCHEMA_VERSION, model: doc.model, dataset, settings: doc.settings, t: { k: keys, r }, b };
  if (doc.title !== undefined) w.title = doc.title;
  if (doc.createdAt !== undefined) w.createdAt = doc.createdAt;
  if (doc.baseline) {
    const bl = doc.baseline;
    w.baseline = { ...bl, metrics: roundMetrics(bl.metrics), ...(bl.mean !== undefined ? { mean: roundSig(bl.mean) } : {}) };
  }
  if (doc.test) {
    const t = doc.test;
    const entry = (e: { config: string; metrics: Record<string, number> } | undefined) => (e ? { config: e.config, metrics: roundMetrics(e.metrics) } : undefined);
    w.test = JSON.parse(JSON.stringify({ ...t, best: entry(t.best), uniform: entry(t.uniform), trivial: t.trivial ? roundMetrics(t.trivial) : undefined }));
  }
  return w;
}

function pack(w: WireDoc): string {
  const json = new TextEncoder().encode(JSON.stringify(w));
  return SHARE_PREFIX + toBase64Url(deflateSync(json, { level: 9, mem: 8 }));
}

/**
 * The share link fragment (`#s=…`) for a results document. Throws if the document does not satisfy the
 * schema (that is a bug in the caller, not user input). Per-epoch curves are dropped when keeping them
 * would push the link over `targetChars`.
 */
export function encodeShareLink(doc: ShareDoc, opts: { targetChars?: number } = {}): string {
  const parsed = shareDocSchema.safeParse(doc);
  if (!parsed.success) throw new Error(`Cannot share these results: ${formatIssues(parsed.error)}`);
  const full = pack(toWire(parsed.data, true));
  if (full.length <= (opts.targetChars ?? TARGET_LINK_CHARS)) return full;
  return pack(toWire(parsed.data, false));
}

/** Take the payload out of a full URL, a `#s=…` fragment, `s=…`, or the bare payload. */
function extractPayload(input: string): string | null {
  let s = input.trim();
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(hash + 1);
  for (const part of s.split('&')) if (part.startsWith('s=')) return part.slice(2);
  if (hash < 0 && /^[A-Za-z0-9_-]+$/.test(s)) return s;
  return null;
}

class TooLarge extends Error {}

/** Inflate in small slices so a bomb is stopped after at most cap + one slice's output. */
function inflateCapped(data: Uint8Array, cap: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inf = new Inflate((chunk) => {
    total += chunk.length;
    if (total > cap) throw new TooLarge();
    chunks.push(chunk);
  });
  const SLICE = 256;
  if (data.length === 0) inf.push(data, true);
  for (let i = 0; i < data.length; i += SLICE) inf.push(data.subarray(i, Math.min(data.length, i + SLICE)), i + SLICE >= data.length);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function forbiddenKeyReviver(this: unknown, key: string, value: unknown): unknown {
  if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) throw new SyntaxError(`forbidden key "${key}"`);
  return value;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Rebuild the logical document from the wire form; types are left for the schema to check. */
function fromWire(w: Record<string, unknown>): { doc?: unknown; error?: string } {
  const { v: _v, t, b, ...rest } = w;
  for (const key of ['schemaVersion', 'trials', 'best']) if (key in rest) return { error: `unexpected field "${key}"` };
  if (!isObj(t)) return { error: 'trials: missing or not an object' };
  const { k, r, ...extraT } = t;
  if (Object.keys(extraT).length) return { error: `trials: unexpected field "${Object.keys(extraT)[0]}"` };
  if (!Array.isArray(k) || k.length > LIMITS.maxMetrics) return { error: `trials: metric names missing or more than ${LIMITS.maxMetrics}` };
  for (let i = 0; i < k.length; i++) {
    const p = metricName.safeParse(k[i]);
    if (!p.success) return { error: `trials: metric name ${i + 1} ${p.error.issues[0].message}` };
  }
  if (new Set(k).size !== k.length) return { error: 'trials: a metric name appears twice' };
  if (!Array.isArray(r)) return { error: 'trials: rows missing' };
  if (r.length > LIMITS.maxTrials) return { error: `trials: ${r.length} trials, more than the ${LIMITS.maxTrials} a link may hold` };
  const trials: unknown[] = [];
  for (let i = 0; i < r.length; i++) {
    const row = r[i];
    if (!Array.isArray(row) || row.length < 6 || row.length > 7) return { error: `trials[${i}]: must be a list of 6 or 7 values` };
    const [ranks, params, vals, status, timeMs, epochs, curve] = row as unknown[];
    if (!Array.isArray(vals) || vals.length !== k.length) return { error: `trials[${i}].metrics: expected ${k.length} values` };
    const metrics: Record<string, unknown> = {};
    vals.forEach((x, j) => {
      if (x !== null) metrics[k[j] as string] = x;
    });
    const trial: Record<string, unknown> = {
      config: Array.isArray(ranks) ? ranks.join('@') : '',
      ranks,
      params,
      metrics,
      status: typeof status === 'number' && Number.isInteger(status) && status >= 0 ? (SHARED_TRIAL_STATUSES[status] ?? `#${status}`) : status,
      timeMs,
      epochs,
    };
    if (curve !== undefined) trial.curve = curve;
    trials.push(trial);
  }
  let best: unknown = b;
  if (typeof b === 'number') {
    const tr = trials[b] as Record<string, unknown> | undefined;
    if (!Number.isInteger(b) || !tr) return { error: `best: refers to trial ${b}, which is not in the link` };
    best = { config: tr.config, ranks: tr.ranks, metrics: tr.metrics };
  } else if (b === undefined) {
    return { error: 'best: missing' };
  }
  return { doc: { ...rest, schemaVersion: w.v, trials, best } };
}

/** Decode and validate a share link. Never throws; every failure is a sentence a user can act on. */
export function decodeShareLink(hashOrUrl: string): DecodeResult {
  const fail = (why: string): DecodeResult => ({ ok: false, error: `This share link cannot be opened: ${why}` });
  if (typeof hashOrUrl !== 'string') return fail('it is not text.');
  if (hashOrUrl.length > MAX_LINK_CHARS + 4096) return fail(`it is ${hashOrUrl.length} characters long; links longer than ${MAX_LINK_CHARS} are refused.`);
  const payload = extractPayload(hashOrUrl);
  if (payload === null || payload.length === 0) return fail('it holds no shared results (expected "#s=" followed by the data).');
  if (payload.length > MAX_LINK_CHARS) return fail(`its data is ${payload.length} characters long; at most ${MAX_LINK_CHARS} are accepted.`);
  const bytes = fromBase64Url(payload);
  if (typeof bytes === 'string') return fail(`the data is damaged: ${bytes}.`);
  let json: Uint8Array;
  try {
    json = inflateCapped(bytes, MAX_INFLATED_BYTES);
  } catch (e) {
    if (e instanceof TooLarge) return fail(`it expands to more than ${MAX_INFLATED_BYTES} bytes, which no real result needs (refused as a possible decompression bomb).`);
    return fail('the data is damaged or incomplete (decompression failed; the link was probably cut off when copied).');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json), forbiddenKeyReviver);
  } catch (e) {
    const msg = e instanceof SyntaxError && e.message.startsWith('forbidden key') ? `it contains a ${e.message}` : 'its content is not valid JSON text';
    return fail(`${msg}.`);
  }
  if (!isObj(raw) || !('v' in raw)) return fail('it is not a Rank Lab results link (no format version).');
  if (raw.v !== SHARE_SCHEMA_VERSION) {
    const v = typeof raw.v === 'number' && Number.isFinite(raw.v) ? String(raw.v) : 'unknown';
    return fail(`it uses results format version ${v}; this version of Rank Lab reads format version ${SHARE_SCHEMA_VERSION}.`);
  }
  const rebuilt = fromWire(raw);
  if (rebuilt.error) return fail(`${rebuilt.error}.`);
  const parsed = shareDocSchema.safeParse(rebuilt.doc);
  if (!parsed.success) return fail(`${formatIssues(parsed.error)}.`);
  return { ok: true, doc: parsed.data };
}

/** Helper for the UI: the trial a doc's `best` refers to, by config name. */
export function findTrial(doc: ShareDoc, config: string): ShareTrial | undefined {
  return doc.trials.find((t) => t.config === config);
}

export { configName };
