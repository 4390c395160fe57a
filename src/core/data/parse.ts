/**
 * Read a CSV / TSV / JSONL file into header + records with 1-based file line numbers, listing every
 * structural problem (invalid UTF-8, bad quoting, ragged rows, bad JSON, duplicate header, limits) instead
 * of throwing. CSV follows RFC 4180 via papaparse's step API (one row at a time, so 100k rows stream
 * through without building papaparse's own result arrays); meant to run in a worker.
 */
import Papa from 'papaparse';
import { decodeUtf8, LineCounter, utf8Length } from './text';
import { DataError, DEFAULT_LIMITS, type DataLimits, type ParsedTable, type Problem, type RawRecord, type TableFormat } from './types';

export interface ParseOptions {
  /** 'auto' (default): from the file name, else JSONL when the first character is '{', else CSV. */
  format?: TableFormat | 'auto';
  /** Used for format detection when the input is a string or a Blob without a name. */
  fileName?: string;
  /** Force a delimiter for CSV (default: detected from the header line among , ; and tab). */
  delimiter?: string;
  limits?: Partial<DataLimits>;
  /** Called every few thousand rows. */
  onProgress?(p: { rows: number; fraction: number }): void;
  /** Cancels the parse (rejects with an AbortError-named DataError). */
  signal?: AbortSignal;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const e = new DataError('Reading the file was cancelled.');
    e.name = 'AbortError';
    throw e;
  }
}

const PROGRESS_EVERY = 5000;
const CANDIDATES = [',', ';', '\t'];

function detectFormat(text: string, name: string | undefined): TableFormat {
  const lower = (name ?? '').toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (lower.endsWith('.csv')) return 'csv';
  return /^\s*\{/.test(text) ? 'jsonl' : 'csv';
}

/** The delimiter that occurs most often outside quotes in the header line (comma on a tie or none). */
export function detectDelimiter(text: string): string {
  const counts = new Map(CANDIDATES.map((d) => [d, 0]));
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) break;
    else if (!inQuotes && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ',';
  for (const d of CANDIDATES) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

function headerProblems(header: string[]): Problem[] {
  const seen = new Map<string, number>();
  const out: Problem[] = [];
  header.forEach((name, i) => {
    if (name === '') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else
      out.push({
        line: 1,
        kind: 'duplicate-header',
        message: `Column name "${name}" appears twice in the header (columns ${first + 1} and ${i + 1}); rename one so the columns can be told apart.`,
        fatal: true,
      });
  });
  return out;
}

function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : d === ';' ? 'semicolon' : d === ',' ? 'comma' : JSON.stringify(d);
}

async function readInput(input: string | Blob): Promise<{ text: string; bytes: number; hadBom: boolean; invalidLines: number[] }> {
  if (typeof input === 'string') {
    const hadBom = input.charCodeAt(0) === 0xfeff;
    return { text: hadBom ? input.slice(1) : input, bytes: utf8Length(input), hadBom, invalidLines: [] };
  }
  const d = decodeUtf8(new Uint8Array(await input.arrayBuffer()));
  return { ...d, bytes: input.size };
}

export async function parseTable(input: string | Blob, opts: ParseOptions = {}): Promise<ParsedTable> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const t0 = performance.now();
  const size = typeof input === 'string' ? utf8Length(input) : input.size;
  const name = opts.fileName ?? (typeof input !== 'string' && 'name' in input ? String((input as File).name) : undefined);
  const empty = (problem: Problem, format: TableFormat = 'csv'): ParsedTable => ({
    format,
    header: [],
    records: [],
    problems: [problem],
    bytes: size,
    hadBom: false,
    parseMs: performance.now() - t0,
  });
  if (size > limits.maxBytes)
    return empty({
      line: 0,
      kind: 'too-large',
      message: `The file is ${(size / 2 ** 20).toFixed(1)} MiB; the limit is ${(limits.maxBytes / 2 ** 20).toFixed(0)} MiB. Use a sample of it or raise the limit.`,
      fatal: true,
    });
  checkAbort(opts.signal);
  const { text, bytes, hadBom, invalidLines } = await readInput(input);
  checkAbort(opts.signal);
  const requested = opts.format ?? 'auto';
  const format = requested === 'auto' ? detectFormat(text, name) : requested;
  if (text.trim() === '') return empty({ line: 0, kind: 'empty-file', message: 'The file is empty.', fatal: true }, format);

  const out = format === 'jsonl' ? parseJsonl(text, limits, opts) : parseDelimited(text, format, limits, opts);
  // Invalid UTF-8: flag the header or each record whose lines hold bad bytes.
  if (invalidLines.length) {
    const bad = new Set(invalidLines);
    const msg = (a: number, b: number) => {
      const lines = [];
      for (let l = a; l <= b; l++) if (bad.has(l)) lines.push(l);
      return lines;
    };
    if (bad.has(1))
      out.problems.push({ line: 1, kind: 'invalid-utf8', message: 'The header line holds bytes that are not valid UTF-8; save the file as UTF-8.', fatal: true });
    for (const r of out.records) {
      const hit = msg(r.line, r.endLine);
      if (hit.length)
        out.problems.push({
          line: r.line,
          kind: 'invalid-utf8',
          message: `The row holds bytes that are not valid UTF-8${r.endLine > r.line ? ` (line ${hit.join(', ')})` : ''}; save the file as UTF-8 (e.g. not Latin-1 or Windows-1252).`,
        });
    }
  }
  out.problems.sort((a, b) => a.line - b.line);
  return { ...out, bytes, hadBom, parseMs: performance.now() - t0 };
}

type Partial_ = Pick<ParsedTable, 'format' | 'delimiter' | 'header' | 'records' | 'problems'>;

function parseDelimited(text: string, format: TableFormat, limits: DataLimits, opts: ParseOptions): Partial_ {
  const delimiter = opts.delimiter ?? (format === 'tsv' ? '\t' : detectDelimiter(text));
  const lines = new LineCounter(text);
  const records: RawRecord[] = [];
  const problems: Problem[] = [];
  let header: string[] | undefined;
  let prevCursor = 0;
  let rows = 0;
  let stopped = false;

  Papa.parse<string[]>(text, {
    delimiter,
    quoteChar: '"',
    escapeChar: '"',
    header: false,
    skipEmptyLines: false,
    dynamicTyping: false,
    step(result, parser) {
      const values = result.data;
      const start = prevCursor;
      const end = result.meta.cursor;
      prevCursor = end;
      const line = lines.lineAt(start);
      const endLine = lines.lineAt(Math.max(start, end - 1));
      // A blank line is not a row.
      if (values.length === 1 && values[0].trim() === '' && result.errors.length === 0) return;
      if (!header) {
        header = values.map((v) => v.trim());
        problems.push(...headerProblems(header));
        return;
      }
      rows++;
      if (rows > limits.maxRows) {
        problems.push({ line, kind: 'too-many-rows', message: `The file has more than ${limits.maxRows} rows (the limit); use a sample of it or raise the limit.`, fatal: true });
        stopped = true;
        parser.abort();
        return;
      }
      records.push({ line, endLine, values });
      const quoteError = result.errors.find((e) => e.type === 'Quotes');
      if (quoteError) {
        const e = quoteError;
        problems.push({
          line,
          kind: 'bad-quoting',
          message:
            e.code === 'MissingQuotes'
              ? `A quoted field opened here is never closed${endLine > line ? ` (everything up to line ${endLine} was read as one field)` : ''}; check the quotes (a quote inside a field is written "").`
              : `A closing quote is followed by other characters${endLine > line ? ` (the field ran on to line ${endLine})` : ''}; a quote inside a quoted field must be doubled ("").`,
        });
      }
      if (values.length !== header.length && !quoteError)
        problems.push({
          line,
          kind: 'ragged-row',
          message: `The row has ${values.length} field${values.length === 1 ? '' : 's'} but the header has ${header.length} (${describeDelimiter(delimiter)}-separated); a field holding a ${describeDelimiter(delimiter)} must be quoted.`,
        });
      if (rows % PROGRESS_EVERY === 0) {
        opts.onProgress?.({ rows, fraction: end / text.length });
        if (opts.signal?.aborted) {
          stopped = true;
          parser.abort();
        }
      }
    },
  });
  checkAbort(opts.signal);
  if (!stopped) opts.onProgress?.({ rows, fraction: 1 });
  if (!header) problems.push({ line: 0, kind: 'empty-file', message: 'The file has no header line.', fatal: true });
  return { format, delimiter, header: header ?? [], records, problems };
}

function jsonValue(v: unknown): string | undefined {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function parseJsonl(text: string, limits: DataLimits, opts: ParseOptions): Partial_ {
  const header: string[] = [];
  const col = new Map<string, number>();
  const objects: { line: number; obj: Record<string, unknown> }[] = [];
  const records: RawRecord[] = [];
  const problems: Problem[] = [];
  let line = 0;
  let pos = 0;
  let rows = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    line++;
    const raw = text.slice(pos, nl).replace(/\r$/, '');
    pos = nl + 1;
    if (raw.trim() === '') continue;
    rows++;
    if (rows > limits.maxRows) {
      problems.push({ line, kind: 'too-many-rows', message: `The file has more than ${limits.maxRows} rows (the limit); use a sample of it or raise the limit.`, fatal: true });
      break;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      problems.push({ line, kind: 'bad-json', message: `The line is not valid JSON (${(e as Error).message}).` });
      records.push({ line, endLine: line, values: [] });
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      problems.push({ line, kind: 'bad-json', message: 'Each line must be a JSON object like {"text": "...", "score": 0.5}.' });
      records.push({ line, endLine: line, values: [] });
      continue;
    }
    for (const k of Object.keys(obj)) if (!col.has(k)) col.set(k, header.push(k) - 1);
    objects.push({ line, obj: obj as Record<string, unknown> });
    records.push({ line, endLine: line, values: [] });
    if (rows % PROGRESS_EVERY === 0) {
      opts.onProgress?.({ rows, fraction: pos / text.length });
      checkAbort(opts.signal);
    }
  }
  // Values are laid out in header order once every key is known.
  const byLine = new Map(objects.map((o) => [o.line, o.obj]));
  for (const r of records) {
    const obj = byLine.get(r.line);
    if (!obj) continue;
    r.values = header.map((k) => {
      const v = jsonValue(obj[k]);
      if (v === undefined) {
        problems.push({ line: r.line, kind: 'bad-json', column: k, message: `Field "${k}" holds ${Array.isArray(obj[k]) ? 'an array' : 'an object'}; expected text or a number.` });
        return '';
      }
      return v;
    });
  }
  opts.onProgress?.({ rows, fraction: 1 });
  return { format: 'jsonl', header, records, problems };
}
