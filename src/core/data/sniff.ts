/**
 * Format sniffing: the encoding, line ends, field delimiter and header row a file most likely uses, each
 * decided by a small documented heuristic (pure functions, unit-tested), so the Data page can say what it
 * understood ("Read as: @-separated, no header, UTF-8 with BOM, CRLF line ends") and the user can override
 * any of it.
 *
 * - Encoding: a byte-order mark decides (UTF-8, UTF-16 LE/BE); without one, UTF-16 is recognised by its
 *   zero bytes (ASCII text in UTF-16 has a zero in every other byte); otherwise UTF-8. Windows-1252 is never
 *   guessed (any byte sequence is valid Windows-1252); it is offered when the bytes are not valid UTF-8.
 * - Delimiter: among , ; tab | the one that splits the first 100 records (outside quotes) into the same
 *   number of fields most consistently; `@` when most lines end in `@label` (Financial PhraseBank's
 *   `sentence@label`: the label follows the LAST `@`, no quoting).
 * - Header: see guessHeader.
 */
import { isKnownColumnName } from './columns';
import type { Encoding, LineEnding, ParsedTable } from './types';

/** Delimiters the sniffer tries, in tie-break order. */
export const DELIMITER_CANDIDATES = [',', '\t', ';', '|', '@'] as const;
/** Delimiters that split a line at their LAST occurrence into text + label (no quoting). */
export const LAST_ON_LINE = new Set(['@']);

const SAMPLE_CHARS = 1 << 20;
const SAMPLE_RECORDS = 100;

// ---------------------------------------------------------------- encoding

export interface EncodingGuess {
  encoding: Encoding;
  /** Bytes of byte-order mark to skip. */
  bom: number;
  source: 'bom' | 'zeros' | 'default';
}

/**
 * BOM first (EF BB BF → UTF-8, FF FE → UTF-16 LE, FE FF → UTF-16 BE); else UTF-16 when, in the first 4 KiB,
 * at least 30 % of the byte pairs have a zero in one position and almost none (< 5 %) in the other
 * (ASCII in UTF-16 LE is "t\0e\0x\0t\0"); else UTF-8.
 */
export function sniffEncoding(bytes: Uint8Array): EncodingGuess {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', bom: 3, source: 'bom' };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', bom: 2, source: 'bom' };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', bom: 2, source: 'bom' };
  const pairs = Math.min(bytes.length, 4096) >> 1;
  if (pairs >= 2) {
    let even = 0;
    let odd = 0;
    for (let i = 0; i < pairs; i++) {
      if (bytes[2 * i] === 0) even++;
      if (bytes[2 * i + 1] === 0) odd++;
    }
    if (odd >= 0.3 * pairs && even < 0.05 * pairs) return { encoding: 'utf-16le', bom: 0, source: 'zeros' };
    if (even >= 0.3 * pairs && odd < 0.05 * pairs) return { encoding: 'utf-16be', bom: 0, source: 'zeros' };
  }
  return { encoding: 'utf-8', bom: 0, source: 'default' };
}

/** The byte-order mark of `encoding` at the start of `bytes`, if any (its length in bytes, else 0). */
export function bomLength(bytes: Uint8Array, encoding: Encoding): number {
  if (encoding === 'utf-8') return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (encoding === 'utf-16le') return bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe ? 2 : 0;
  if (encoding === 'utf-16be') return bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff ? 2 : 0;
  return 0;
}

// ---------------------------------------------------------------- line ends

/** Line ends in the first MiB: CRLF, LF or CR when only one kind occurs, 'mixed' otherwise, 'none' for a single line. */
export function detectLineEnding(text: string): LineEnding {
  let crlf = 0;
  let lf = 0;
  let cr = 0;
  const end = Math.min(text.length, SAMPLE_CHARS);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else cr++;
    } else if (c === 10) lf++;
  }
  const kinds = (crlf > 0 ? 1 : 0) + (lf > 0 ? 1 : 0) + (cr > 0 ? 1 : 0);
  if (kinds === 0) return 'none';
  if (kinds > 1) return 'mixed';
  return crlf ? 'CRLF' : lf ? 'LF' : 'CR';
}

// ---------------------------------------------------------------- delimiter

export interface DelimiterGuess {
  delimiter: string;
  /** False when no candidate splits the records consistently (the page shows the choice more prominently). */
  sure: boolean;
  reason: string;
}

/** A line that ends in `@label` (letters, digits, _ . + -; at most 40). */
const AT_LABEL = /@[\p{L}\p{N}_.+-]{1,40}\s*$/u;

export function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : d === ';' ? 'semicolon' : d === ',' ? 'comma' : d === '|' ? 'pipe' : JSON.stringify(d);
}

/** Non-empty records of the sample, split quote-aware (a newline inside quotes does not end a record). */
function sampleRecords(text: string): string[] {
  const out: string[] = [];
  let inQuotes = false;
  let start = 0;
  const end = Math.min(text.length, SAMPLE_CHARS);
  for (let i = 0; i <= end && out.length < SAMPLE_RECORDS; i++) {
    const c = i < end ? text[i] : '\n';
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) {
      const rec = text.slice(start, i);
      if (rec.trim() !== '') out.push(rec);
      start = i + 1;
    }
  }
  return out;
}

function sampleLines(text: string): string[] {
  return text
    .slice(0, SAMPLE_CHARS)
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim() !== '')
    .slice(0, SAMPLE_RECORDS);
}

function countOutsideQuotes(record: string, d: string): number {
  let n = 0;
  let inQuotes = false;
  for (const c of record) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && c === d) n++;
  }
  return n;
}

/**
 * Consistency of each candidate over the first 100 records: for , ; tab |, the share of records holding
 * the most common non-zero number of that delimiter outside quotes (0 when most records hold none); for
 * `@`, the share of lines that end in `@label`. The highest share wins (ties: the order , tab ; | @);
 * comma when nothing scores (a one-column file). Sure when the winner scores ≥ 0.9 over ≥ 2 records.
 */
export function sniffDelimiter(text: string): DelimiterGuess {
  const records = sampleRecords(text);
  const lines = sampleLines(text);
  const scores = new Map<string, { score: number; fields: number }>();
  for (const d of DELIMITER_CANDIDATES) {
    if (LAST_ON_LINE.has(d)) {
      const hits = lines.filter((l) => AT_LABEL.test(l)).length;
      scores.set(d, { score: lines.length ? hits / lines.length : 0, fields: 2 });
      continue;
    }
    const freq = new Map<number, number>();
    for (const r of records) {
      const n = countOutsideQuotes(r, d);
      freq.set(n, (freq.get(n) ?? 0) + 1);
    }
    let mode = 0;
    let best = -1;
    for (const [n, f] of freq) if (f > best || (f === best && n > mode)) [mode, best] = [n, f];
    scores.set(d, { score: mode === 0 || !records.length ? 0 : best / records.length, fields: mode + 1 });
  }
  let winner: string = ',';
  let top = 0;
  for (const d of DELIMITER_CANDIDATES) if (scores.get(d)!.score > top) [winner, top] = [d, scores.get(d)!.score];
  if (top === 0) return { delimiter: ',', sure: records.length < 2, reason: 'no delimiter occurs in most lines, so the file was read as a single column' };
  const pct = Math.round(top * 100);
  const sure = top >= 0.9 && records.length >= 2;
  const reason = LAST_ON_LINE.has(winner)
    ? `${pct} % of the first ${lines.length} lines end in ${winner}label`
    : `${pct} % of the first ${records.length} rows have ${scores.get(winner)!.fields} ${describeDelimiter(winner)}-separated fields`;
  return { delimiter: winner, sure, reason };
}

/** Back-compatible name: the sniffed delimiter. */
export function detectDelimiter(text: string): string {
  return sniffDelimiter(text).delimiter;
}

// ---------------------------------------------------------------- header

export interface HeaderGuess {
  hasHeader: boolean;
  /** False when the evidence is missing or contradicts itself: the page asks "first row is data?". */
  sure: boolean;
  reason: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const DECIMAL_COMMA = /^[+-]?\d*,\d+$/;
/** A number as a score cell may hold it (decimal point or decimal comma). */
export const isNumberLike = (v: string): boolean => {
  const s = v.trim();
  return NUMBER.test(s) || DECIMAL_COMMA.test(s);
};

const quote = (s: string, max = 40) => JSON.stringify(s.length > max ? s.slice(0, max - 1) + '…' : s);

/**
 * Is the first of these rows column names or data? Evidence, looked for column by column in row 1
 * against the other rows (up to 200):
 * - names: a column whose other values are ≥ 90 % numbers holds a non-number in row 1 ("score" above
 *   0.5, -0.2, …); or a row-1 cell is a usual column name (text, sentence, score, label, class, split, …);
 * - data: row 1 holds a number where the other rows do; or row 1's value of a label-like column (≤ 50
 *   distinct values, at most half the rows distinct) is one of that column's values in other rows; or a row-1
 *   cell is sentence-long (> 40 characters or ≥ 6 words), which a column name rarely is.
 * Names only → header (sure); data only → no header (sure); both or neither → header, not sure (ask).
 */
export function guessHeader(rows: readonly (readonly string[])[]): HeaderGuess {
  if (rows.length < 2) return { hasHeader: true, sure: false, reason: 'the file has a single row' };
  const first = rows[0].map((v) => v.trim());
  const rest = rows.slice(1, 201);
  const names: string[] = [];
  const data: string[] = [];
  first.forEach((v, c) => {
    if (v === '') return;
    const col = `column ${c + 1}`;
    const others = rest.map((r) => (r[c] ?? '').trim()).filter((x) => x !== '');
    if (others.length >= 2) {
      const numeric = others.filter(isNumberLike).length / others.length;
      if (numeric >= 0.9) {
        if (isNumberLike(v)) data.push(`the first row holds a number (${v}) in ${col}, like the other rows`);
        else names.push(`${col} holds numbers in the other rows but ${quote(v)} in the first`);
        return;
      }
      const distinct = new Set(others);
      if (distinct.size <= 50 && distinct.size <= others.length / 2 && distinct.has(v)) {
        data.push(`the first row's ${quote(v)} in ${col} is also a value of that column in other rows`);
        return;
      }
    }
    if (isKnownColumnName(v)) names.push(`the first row holds the column name ${quote(v)}`);
    else if (v.length > 40 || v.split(/\s+/).length >= 6) data.push(`the first row holds a sentence-long field (${quote(v, 30)}), not a column name`);
  });
  if (names.length && !data.length) return { hasHeader: true, sure: true, reason: names[0] };
  if (data.length && !names.length) return { hasHeader: false, sure: true, reason: data[0] };
  if (names.length && data.length) return { hasHeader: true, sure: false, reason: `${names[0]}, but ${data[0]}` };
  return { hasHeader: true, sure: false, reason: 'nothing in the first row tells column names from data; it was taken as the column names' };
}

/** Names for the columns of a header-less file. */
export function genericColumnNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `column ${i + 1}`);
}

// ---------------------------------------------------------------- the "Read as" line

const ENCODING_NAMES: Record<Encoding, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16 LE', 'utf-16be': 'UTF-16 BE', 'windows-1252': 'Windows-1252' };
export const encodingName = (e: Encoding): string => ENCODING_NAMES[e];

/** "@-separated (label after the last @), no header, UTF-8 with BOM, CRLF line ends". */
export function describeReading(t: Pick<ParsedTable, 'format' | 'delimiter' | 'hadBom' | 'reading'>): string {
  const r = t.reading;
  const parts: string[] = [];
  if (t.format === 'jsonl') parts.push('JSON lines (one object per line; the keys are the columns)');
  else {
    const d = t.delimiter ?? ',';
    parts.push(LAST_ON_LINE.has(d) ? `${d}-separated (label after the last ${d})` : `${describeDelimiter(d)}-separated`);
    parts.push(r.hasHeader ? 'first row is the header' : 'no header');
  }
  parts.push(`${encodingName(r.encoding)}${t.hadBom ? ' with BOM' : ''}`);
  if (r.lineEnding !== 'none') parts.push(r.lineEnding === 'mixed' ? 'mixed line ends' : `${r.lineEnding} line ends`);
  return parts.join(', ');
}
