/** Trials as CSV (one row per trial, one column per metric) and JSON, for spreadsheets and notebooks. */
import type { ShareTrial } from './schema';
import { METRIC_NAMES } from '../vocabulary';

/** Metrics in the order practitioners read them; any others follow alphabetically. */
const METRIC_ORDER: readonly string[] = [...METRIC_NAMES, 'loss'];

export function metricColumns(trials: readonly ShareTrial[]): string[] {
  const all = new Set(trials.flatMap((t) => Object.keys(t.metrics)));
  const known = METRIC_ORDER.filter((m) => all.has(m));
  const rest = [...all].filter((m) => !METRIC_ORDER.includes(m)).sort();
  return [...known, ...rest];
}

/** RFC 4180 quoting, plus a leading apostrophe for text a spreadsheet would run as a formula. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Columns: config, ranks (space-separated, one per group), params, status, epochs, time_ms, then one
 * column per metric (empty where a trial lacks it, e.g. failed trials).
 */
export function trialsToCsv(trials: readonly ShareTrial[]): string {
  const metrics = metricColumns(trials);
  const header = ['config', 'ranks', 'params', 'status', 'epochs', 'time_ms', ...metrics];
  const lines = [header.map(csvCell).join(',')];
  for (const t of trials)
    lines.push(
      [t.config, t.ranks.join(' '), t.params, t.status, t.epochs, Math.round(t.timeMs), ...metrics.map((m) => (m in t.metrics ? t.metrics[m] : null))]
        .map(csvCell)
        .join(','),
    );
  return lines.join('\r\n') + '\r\n';
}

/** Pretty JSON array of trials (same fields as the results document). */
export function trialsToJson(trials: readonly ShareTrial[]): string {
  return JSON.stringify(trials, null, 2) + '\n';
}
