/**
 * A whole run as one JSON file: the results document (settings, trials, best) plus optional per-epoch
 * metric history and, only when the user ticks "include data", the dataset rows. Imported files are
 * validated like share links (same schema, forbidden keys rejected) with errors naming the field.
 */
import { z } from 'zod';
import { FORBIDDEN_KEYS, formatIssues, metricsRecord, plainText, shareDocSchema, type ShareDoc } from './schema';

export const RUN_FILE_FORMAT = 'rank-lab-run' as const;
export const RUN_FILE_VERSION = 1 as const;
export const RUN_FILE_LIMITS = { maxBytes: 300_000_000, maxRows: 2_000_000, maxText: 100_000 } as const;

const finite = () => z.number().refine(Number.isFinite, { message: 'must be a finite number' });

export const runDataSchema = z.strictObject({
  /** Original column names the user mapped (for re-export). */
  columns: z.strictObject({ text: plainText(200), score: plainText(200).optional(), label: plainText(200).optional() }),
  rows: z
    .array(
      z.strictObject({
        text: z.string().max(RUN_FILE_LIMITS.maxText),
        score: finite().optional(),
        label: z.string().max(200).optional(),
        split: z.enum(['train', 'val', 'test']).optional(),
      }),
    )
    .max(RUN_FILE_LIMITS.maxRows),
});
export type RunData = z.infer<typeof runDataSchema>;

export const runFileSchema = z.strictObject({
  format: z.literal(RUN_FILE_FORMAT),
  version: z.literal(RUN_FILE_VERSION),
  exportedAt: z.string().max(40),
  results: shareDocSchema,
  /** Per trial (by config name): validation metrics after each epoch. */
  history: z.record(z.string().max(800), z.array(metricsRecord).max(100_000)).optional(),
  data: runDataSchema.optional(),
});
export type RunFile = z.infer<typeof runFileSchema>;

export interface RunExportOptions {
  /** Include dataset rows (text!) — only when the user asked for it. */
  includeData?: boolean;
  data?: RunData;
  history?: Record<string, Record<string, number>[]>;
  now?: Date;
}

export function exportRunFile(results: ShareDoc, opts: RunExportOptions = {}): string {
  const file: RunFile = {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    results,
    ...(opts.history ? { history: opts.history } : {}),
    ...(opts.includeData && opts.data ? { data: opts.data } : {}),
  };
  const parsed = runFileSchema.safeParse(file);
  if (!parsed.success) throw new Error(`Cannot export this run: ${formatIssues(parsed.error)}`);
  return JSON.stringify(parsed.data);
}

export type RunImportResult = { ok: true; run: RunFile; warnings: string[] } | { ok: false; error: string };

export function importRunFile(text: string): RunImportResult {
  const fail = (why: string): RunImportResult => ({ ok: false, error: `This run file cannot be imported: ${why}` });
  if (typeof text !== 'string') return fail('it is not text.');
  if (text.length > RUN_FILE_LIMITS.maxBytes) return fail(`it is larger than ${RUN_FILE_LIMITS.maxBytes / 1e6} MB.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''), (k, v) => {
      if ((FORBIDDEN_KEYS as readonly string[]).includes(k)) throw new SyntaxError(`forbidden key "${k}"`);
      return v;
    });
  } catch (e) {
    return fail(e instanceof SyntaxError && e.message.startsWith('forbidden') ? `it contains a ${e.message}.` : `it is not valid JSON (${(e as Error).message}).`);
  }
  if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== RUN_FILE_FORMAT)
    return fail('it is not a Rank Lab run file (no "format": "rank-lab-run").');
  const v = (raw as { version?: unknown }).version;
  if (v !== RUN_FILE_VERSION) return fail(`it has version ${JSON.stringify(v)}; this version of Rank Lab reads version ${RUN_FILE_VERSION}.`);
  const parsed = runFileSchema.safeParse(raw);
  if (!parsed.success) return fail(`${formatIssues(parsed.error)}.`);
  const warnings: string[] = [];
  const run = parsed.data;
  if (run.data && run.data.rows.length !== run.results.dataset.rows)
    warnings.push(`The file holds ${run.data.rows.length} data rows but its fingerprint says ${run.results.dataset.rows}.`);
  return { ok: true, run, warnings };
}
