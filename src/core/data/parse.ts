/**
 * Read a CSV / TSV / JSONL file into header + records with 1-based file line numbers, listing every
 * structural problem (invalid UTF-8, bad quoting, ragged rows, bad JSON, duplicate header, limits) instead
 * of throwing. CSV follows RFC 4180 via papaparse's step API (one row at a time, so 100k rows stream
 * through without building papaparse's own result arrays); meant to run in a worker. The encoding,
 * delimiter and header row are sniffed (./sniff) unless the caller chooses them, and `reading` says what
 * was decided and why.
 */
import Papa from 'papaparse';
import { capColumnName } from './textRules';
import { decodeUtf8, decodeWindows1252, LineCounter, utf8Length } from './text';
import { bomLength, describeDelimiter, encodingName, genericColumnNames, guessHeader, LAST_ON_LINE, sniffDelimiter, sniffEncoding, detectLineEnding, type HeaderGuess } from './sniff';
import {
  DataError,
  DEFAULT_LIMITS,
  type DataLimits,
  type Encoding,
  type EncodingChoice,
  type ParsedTable,
  type Problem,
  type RawRecord,
  type ReadInfo,
  type TableFormat,
} from './types';

export { detectDelimiter } from './sniff';

export interface ParseOptions {
  /** 'auto' (default): from the file name, else JSONL when the first character is '{', else CSV. */
  format?: TableFormat | 'auto';
  /** Used for format detection when the input is a string or a Blob without a name. */
  fileName?: string;
  /** Force a delimiter for CSV (default: sniffed among , ; tab | and @; see sniffDelimiter). '@' splits at the last '@'. */
  delimiter?: string;
  /** Whether the first row holds the column names (default: guessed, see guessHeader). */
  header?: boolean;
  /** How to decode bytes (default 'auto': BOM, UTF-16 zero bytes, else UTF-8). Ignored for string input. */
  encoding?: EncodingChoice;
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

function detectFormat(text: string, name: string | undefined): TableFormat {
  const lower = (name ?? '').toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (lower.endsWith('.csv')) return 'csv';
  return /^\s*\{/.test(text) ? 'jsonl' : 'csv';
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
        message: `Column name "${name}" appears twice in the header (columns ${first + 1} and ${i + 1}); rename one so the columns can be told apart, or tick "first row is data" if the file has no header.`,
        fatal: true,
      });
  });
  return out;
}

interface Decoded {
  text: string;
  bytes: number;
  hadBom: boolean;
  invalidLines: number[];
  encoding: Encoding;
  encodingSource: ReadInfo['encodingSource'];
  /** The bytes say UTF-16 (byte-order mark or zero bytes) but another encoding was chosen. */
  utf16?: { encoding: 'utf-16le' | 'utf-16be'; source: 'bom' | 'zeros' };
}

async function readInput(input: string | Blob, choice: EncodingChoice): Promise<Decoded> {
  if (typeof input === 'string') {
    const hadBom = input.charCodeAt(0) === 0xfeff;
    return { text: hadBom ? input.slice(1) : input, bytes: utf8Length(input), hadBom, invalidLines: [], encoding: 'utf-8', encodingSource: 'default' };
  }
  return decodeBytes(new Uint8Array(await input.arrayBuffer()), choice);
}

/** Bytes → text in the chosen encoding, or the sniffed one ('auto'). Only UTF-8 can be invalid (listed by line). */
export function decodeBytes(bytes: Uint8Array, choice: EncodingChoice = 'auto'): Decoded {
  const guess = choice === 'auto' ? sniffEncoding(bytes) : undefined;
  const encoding: Encoding = guess?.encoding ?? (choice as Encoding);
  const encodingSource: ReadInfo['encodingSource'] = guess ? guess.source : 'chosen';
  // Read as UTF-8 or Windows-1252, UTF-16 turns into "invalid bytes" or text full of NULs: say what it is.
  const sniffed = guess ?? (encoding.startsWith('utf-16') ? undefined : sniffEncoding(bytes));
  const utf16 = sniffed && !encoding.startsWith('utf-16') && sniffed.encoding !== 'utf-8' && sniffed.encoding !== 'windows-1252' && sniffed.source !== 'default'
    ? { utf16: { encoding: sniffed.encoding as 'utf-16le' | 'utf-16be', source: sniffed.source as 'bom' | 'zeros' } }
    : {};
  if (encoding === 'utf-8') return { ...decodeUtf8(bytes), bytes: bytes.length, encoding, encodingSource, ...utf16 };
  if (encoding === 'windows-1252') return { text: decodeWindows1252(bytes), bytes: bytes.length, hadBom: false, invalidLines: [], encoding, encodingSource, ...utf16 };
  const bom = bomLength(bytes, encoding);
  const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes.subarray(bom));
  return { text, bytes: bytes.length, hadBom: bom > 0, invalidLines: [], encoding, encodingSource };
}

export async function parseTable(input: string | Blob, opts: ParseOptions = {}): Promise<ParsedTable> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const t0 = performance.now();
  const size = typeof input === 'string' ? utf8Length(input) : input.size;
  const name = opts.fileName ?? (typeof input !== 'string' && 'name' in input ? String((input as File).name) : undefined);
  const baseReading: ReadInfo = {
    encoding: 'utf-8',
    encodingSource: 'default',
    lineEnding: 'none',
    hasHeader: true,
    headerSource: 'detected',
    headerSure: true,
    headerReason: '',
    invalidUtf8Lines: 0,
  };
  const empty = (problem: Problem, format: TableFormat = 'csv', reading = baseReading): ParsedTable => ({
    format,
    header: [],
    records: [],
    problems: [problem],
    bytes: size,
    hadBom: false,
    reading,
    parseMs: performance.now() - t0,
  });
  if (size > limits.maxBytes)
    return empty({
      line: 0,
      kind: 'too-large',
      message: `The file is ${(size / 2 ** 20).toFixed(1)} MiB; the limit is ${(limits.maxBytes / 2 ** 20).toFixed(0)} MiB. Use a sample of it or raise the limit.`,
      fatal: true,
    });
  if (opts.delimiter !== undefined && (opts.delimiter.length !== 1 || /["\r\n]/.test(opts.delimiter)))
    throw new DataError(`The delimiter must be one character other than a quote or a line end (got ${JSON.stringify(opts.delimiter)}).`);
  checkAbort(opts.signal);
  const { text, bytes, hadBom, invalidLines, encoding, encodingSource, utf16 } = await readInput(input, opts.encoding ?? 'auto');
  checkAbort(opts.signal);
  const reading: ReadInfo = {
    ...baseReading,
    encoding,
    encodingSource,
    lineEnding: detectLineEnding(text),
    invalidUtf8Lines: invalidLines.length,
    ...(invalidLines.length ? { suggestedEncoding: 'windows-1252' as const } : {}),
  };
  if (utf16) {
    const name16 = encodingName(utf16.encoding);
    const why = utf16.source === 'bom' ? 'it starts with a UTF-16 byte-order mark' : 'every other byte is zero, as in UTF-16 text';
    return {
      ...empty(
        { line: 0, kind: 'invalid-utf8', message: `This file is ${name16} (${why}), not ${encodingName(encoding)}: choose ${name16} under Encoding, or save the file as UTF-8.`, fatal: true },
        'csv',
        { ...reading, suggestedEncoding: utf16.encoding },
      ),
      bytes,
      hadBom,
    };
  }
  const requested = opts.format ?? 'auto';
  const format = requested === 'auto' ? detectFormat(text, name) : requested;
  if (text.trim() === '') return { ...empty({ line: 0, kind: 'empty-file', message: 'The file is empty.', fatal: true }, format, reading), bytes, hadBom };

  const out = format === 'jsonl' ? parseJsonl(text, limits, opts) : parseDelimited(text, format, limits, opts);
  Object.assign(reading, out.reading);
  // Invalid UTF-8: flag the header or each record whose lines hold bad bytes.
  if (invalidLines.length) {
    const bad = new Set(invalidLines);
    const hits = (a: number, b: number) => {
      const lines = [];
      for (let l = a; l <= b; l++) if (bad.has(l)) lines.push(l);
      return lines;
    };
    const hint = 'the file is probably in another encoding: read it as Windows-1252 (the button above the preview), or save it as UTF-8';
    if (out.headerLines && hits(out.headerLines[0], out.headerLines[1]).length)
      out.problems.push({ line: 1, kind: 'invalid-utf8', message: `The header line holds bytes that are not valid UTF-8; ${hint}.`, fatal: true });
    for (const r of out.records) {
      const hit = hits(r.line, r.endLine);
      if (hit.length)
        out.problems.push({
          line: r.line,
          kind: 'invalid-utf8',
          message: `The row holds bytes that are not valid UTF-8${r.endLine > r.line ? ` (line ${hit.join(', ')})` : ''}; ${hint}.`,
        });
    }
  }
  out.problems.sort((a, b) => a.line - b.line);
  const { headerLines: _h, reading: _r, ...table } = out;
  return { ...table, bytes, hadBom, reading, parseMs: performance.now() - t0 };
}

type Partial_ = Pick<ParsedTable, 'format' | 'delimiter' | 'header' | 'records' | 'problems'> & {
  /** First and last line of the header row, when there is one. */
  headerLines?: [number, number];
  reading: Partial<ReadInfo>;
};

/** Records of a '@' file: each non-blank line split at its LAST delimiter into [text, label] (no quoting). */
function splitLastOnLine(text: string, d: string, keep: (r: RawRecord, end: number) => boolean): void {
  let line = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = pos;
    while (end < text.length && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
    line++;
    const raw = text.slice(pos, end);
    pos = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
    if (raw.trim() === '') continue;
    const k = raw.lastIndexOf(d);
    if (!keep({ line, endLine: line, values: k < 0 ? [raw] : [raw.slice(0, k), raw.slice(k + 1)] }, pos)) return;
  }
}

function modeOf(values: number[]): number {
  const freq = new Map<number, number>();
  for (const v of values) freq.set(v, (freq.get(v) ?? 0) + 1);
  let mode = 0;
  let best = -1;
  for (const [v, f] of freq) if (f > best || (f === best && v > mode)) [mode, best] = [v, f];
  return mode;
}

function parseDelimited(text: string, format: TableFormat, limits: DataLimits, opts: ParseOptions): Partial_ {
  const sniffed = opts.delimiter === undefined && format !== 'tsv' ? sniffDelimiter(text) : undefined;
  const delimiter = opts.delimiter ?? (format === 'tsv' ? '\t' : sniffed!.delimiter);
  const delimiterInfo: Partial<ReadInfo> = sniffed
    ? { delimiterSource: 'detected', delimiterSure: sniffed.sure, delimiterReason: sniffed.reason }
    : opts.delimiter !== undefined
      ? { delimiterSource: 'chosen', delimiterSure: true, delimiterReason: 'you chose it' }
      : { delimiterSource: 'file name', delimiterSure: true, delimiterReason: 'the file name ends in .tsv' };
  const lastOnLine = LAST_ON_LINE.has(delimiter);
  const all: RawRecord[] = [];
  const quoteProblems = new Map<number, Problem>();
  let stopped = false;
  const total = text.length;
  const keep = (r: RawRecord, end: number): boolean => {
    all.push(r);
    // One record more than the limit may be the header; the limit is checked once that is decided.
    if (all.length > limits.maxRows + 1) stopped = true;
    else if (all.length % PROGRESS_EVERY === 0) {
      opts.onProgress?.({ rows: all.length, fraction: end / total });
      if (opts.signal?.aborted) stopped = true;
    }
    return !stopped;
  };

  if (lastOnLine) splitLastOnLine(text, delimiter, keep);
  else {
    const lines = new LineCounter(text);
    let prevCursor = 0;
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
        const e = result.errors.find((x) => x.type === 'Quotes');
        if (e)
          quoteProblems.set(line, {
            line,
            kind: 'bad-quoting',
            message:
              e.code === 'MissingQuotes'
                ? `A quoted field opened here is never closed${endLine > line ? ` (everything up to line ${endLine} was read as one field)` : ''}; check the quotes (a quote inside a field is written "").`
                : `A closing quote is followed by other characters${endLine > line ? ` (the field ran on to line ${endLine})` : ''}; a quote inside a quoted field must be doubled ("").`,
          });
        if (!keep({ line, endLine, values }, end)) parser.abort();
      },
    });
  }
  checkAbort(opts.signal);

  const problems: Problem[] = [];
  if (!all.length) {
    problems.push({ line: 0, kind: 'empty-file', message: 'The file has no header line.', fatal: true });
    return { format, delimiter, header: [], records: [], problems, reading: delimiterInfo };
  }
  const guess: HeaderGuess =
    opts.header !== undefined
      ? { hasHeader: opts.header, sure: true, reason: opts.header ? 'you chose: the first row holds the column names' : 'you chose: the first row is data' }
      : guessHeader(all.slice(0, 201).map((r) => r.values));
  let header: string[];
  let records: RawRecord[];
  let headerLines: [number, number] | undefined;
  if (guess.hasHeader) {
    const first = all[0];
    header = first.values.map((v) => capColumnName(v.trim()));
    headerLines = [first.line, first.endLine];
    records = all.slice(1);
    problems.push(...headerProblems(header));
    quoteProblems.delete(first.line);
  } else {
    header = genericColumnNames(Math.max(1, modeOf(all.slice(0, 1000).map((r) => r.values.length))));
    records = all;
  }
  if (records.length > limits.maxRows) {
    problems.push({
      line: records[limits.maxRows].line,
      kind: 'too-many-rows',
      message: `The file has more than ${limits.maxRows} rows (the limit); use a sample of it or raise the limit.`,
      fatal: true,
    });
    records = records.slice(0, limits.maxRows);
  }
  if (!stopped) opts.onProgress?.({ rows: records.length, fraction: 1 });
  const d = describeDelimiter(delimiter);
  for (const r of records) {
    const q = quoteProblems.get(r.line);
    if (q) problems.push(q);
    else if (r.values.length !== header.length)
      problems.push({
        line: r.line,
        kind: 'ragged-row',
        message: lastOnLine
          ? `The line has no "${delimiter}": expected the text, then "${delimiter}" and the label.`
          : `The row has ${r.values.length} field${r.values.length === 1 ? '' : 's'} but ${guess.hasHeader ? 'the header has' : 'most rows have'} ${header.length} (${d}-separated); a field holding a ${d} must be quoted.`,
      });
  }
  return {
    format,
    delimiter,
    header,
    records,
    problems,
    headerLines,
    reading: { ...delimiterInfo, hasHeader: guess.hasHeader, headerSource: opts.header !== undefined ? 'chosen' : 'detected', headerSure: guess.sure, headerReason: guess.reason },
  };
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
  return { format: 'jsonl', header, records, problems, reading: { hasHeader: true, headerSource: 'keys', headerSure: true, headerReason: 'JSON lines: the keys are the column names' } };
}
