/**
 * Parsed table + column mapping → Dataset: typed rows plus every row-level problem (empty text,
 * non-numeric or out-of-range score, unknown label, bad split value, over-long text) next to the
 * structural ones found while parsing. Rows are never dropped or changed here; `dropRows` does that
 * when the user confirms, and `assertReady` guards training.
 */
import { buildLabelVocabulary } from './labels';
import { classNameProblem } from './textRules';
import { checkMapping, detectTaskKind } from './columns';
import {
  DataError,
  DEFAULT_LIMITS,
  formatProblem,
  type ColumnMapping,
  type DataLimits,
  type DataRow,
  type Dataset,
  type ParsedTable,
  type Problem,
  type SplitName,
} from './types';

export interface ValidateOptions {
  /** Declared score range; rows outside it are listed. Default [-1, 1]; null turns the check off. */
  scoreRange?: [number, number] | null;
  /** Declared label set; rows with any other label are listed. Default: every label seen is valid. */
  labels?: readonly string[];
  limits?: Partial<DataLimits>;
}

export const DEFAULT_SCORE_RANGE: [number, number] = [-1, 1];

const SPLIT_NAMES: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  dev: 'val',
  test: 'test',
};

const DECIMAL_COMMA = /^[+-]?\d*,\d+$/;
const DECIMAL_POINT = /^[+-]?\d*\.\d+(e[+-]?\d+)?$/i;

/** Parse a score cell: plain decimal/scientific notation, or a decimal comma ("0,5") when `decimalComma`. */
export function parseScore(raw: string, decimalComma = false): number {
  const s = raw.trim();
  if (s === '') return NaN;
  if (decimalComma && DECIMAL_COMMA.test(s)) return Number(s.replace(',', '.'));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return NaN;
  return Number(s);
}

/**
 * Does a score column write its decimals with a comma? Yes when at least one value has a decimal comma
 * ("0,5", "-,25") and none has a decimal point. In a comma-separated file (where such a value must be
 * quoted) this decides whether "0,5" reads as 0.5; a comma column that mixes both lists its comma values
 * with the fix. Files with another delimiter read decimal commas anyway (the comma is unambiguous there).
 */
export function usesDecimalComma(values: Iterable<string>): boolean {
  let comma = 0;
  for (const v of values) {
    const s = v.trim();
    if (DECIMAL_POINT.test(s)) return false;
    if (DECIMAL_COMMA.test(s)) comma++;
  }
  return comma > 0;
}

/** Why a score cell is not a number, with the fix when it is a decimal comma in a decimal-point column. */
export function scoreProblem(raw: string, column: string): string {
  if (raw === '') return `The score ("${column}") is empty.`;
  if (DECIMAL_COMMA.test(raw))
    return `The score "${raw}" uses a decimal comma, but other scores in this column use a decimal point; write ${raw.replace(',', '.')} (or use a decimal comma in every row).`;
  return `The score "${raw}" is not a number.`;
}

const STRUCTURAL = new Set(['ragged-row', 'bad-quoting', 'bad-json']);

export function buildDataset(table: ParsedTable, mappingIn: Partial<ColumnMapping>, opts: ValidateOptions = {}): Dataset {
  const mapping = checkMapping(table.header, mappingIn);
  const task = detectTaskKind(mapping);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const scoreRange = opts.scoreRange === undefined ? DEFAULT_SCORE_RANGE : opts.scoreRange;
  if (scoreRange && !(scoreRange[0] < scoreRange[1])) throw new DataError(`The score range [${scoreRange[0]}, ${scoreRange[1]}] is empty: its low end must be below its high end.`);
  const declared = opts.labels ? new Set(opts.labels.map((l) => l.trim())) : undefined;
  for (const l of declared ?? []) {
    const p = classNameProblem(l);
    if (p) throw new DataError(`Declared label "${l.slice(0, 40)}": ${p}`);
  }
  const col = (name: string | undefined) => (name === undefined ? -1 : table.header.indexOf(name));
  const ti = col(mapping.text);
  const si = col(mapping.score);
  const li = col(mapping.label);
  const pi = col(mapping.split);
  const structural = new Set(table.problems.filter((p) => STRUCTURAL.has(p.kind)).map((p) => p.line));
  const problems: Problem[] = [...table.problems];
  const rows: DataRow[] = [];
  // Decimal commas: always read where the comma is not the delimiter (no ambiguity there); in a
  // comma-separated file only when the column uses them consistently (see usesDecimalComma).
  const scoreCells = si >= 0 ? table.records.filter((r) => !structural.has(r.line)).map((r) => r.values[si] ?? '') : [];
  const decimalComma = si >= 0 && (table.delimiter !== ',' || usesDecimalComma(scoreCells));
  const hasDecimalComma = decimalComma && scoreCells.some((c) => DECIMAL_COMMA.test(c.trim()));

  for (const r of table.records) {
    const v = (i: number) => (i >= 0 ? (r.values[i] ?? '') : '');
    const row: DataRow = { line: r.line, text: v(ti) };
    if (si >= 0) row.score = parseScore(v(si), decimalComma);
    if (li >= 0) row.label = v(li).trim();
    if (pi >= 0) {
      const sp = SPLIT_NAMES[v(pi).trim().toLowerCase()];
      if (sp) row.split = sp;
    }
    rows.push(row);
    if (structural.has(r.line)) continue; // its fields are not where the header says; one problem is enough
    const add = (p: Omit<Problem, 'line'>) => problems.push({ line: r.line, ...p });
    if (row.text.trim() === '') add({ kind: 'empty-text', column: mapping.text, message: `The text ("${mapping.text}") is empty.` });
    else if (row.text.length > limits.maxTextChars)
      add({ kind: 'text-too-long', column: mapping.text, message: `The text is ${row.text.length} characters long; the limit is ${limits.maxTextChars}.` });
    if (si >= 0) {
      const raw = v(si).trim();
      if (!Number.isFinite(row.score!))
        add({ kind: 'non-numeric-score', column: mapping.score, message: scoreProblem(raw, mapping.score!) });
      else if (scoreRange && (row.score! < scoreRange[0] || row.score! > scoreRange[1]))
        add({ kind: 'score-out-of-range', column: mapping.score, message: `The score ${raw} is outside the declared range [${scoreRange[0]}, ${scoreRange[1]}].` });
    }
    if (li >= 0) {
      const bad = row.label === '' ? undefined : classNameProblem(row.label!);
      if (row.label === '') add({ kind: 'empty-label', column: mapping.label, message: `The label ("${mapping.label}") is empty.` });
      else if (bad) add({ kind: 'bad-label', column: mapping.label, message: bad });
      else if (declared && !declared.has(row.label!))
        add({ kind: 'unknown-label', column: mapping.label, message: `The label "${row.label}" is not one of the declared labels (${[...declared].join(', ')}).` });
    }
    if (pi >= 0 && !row.split)
      add({ kind: 'bad-split', column: mapping.split, message: `The split "${v(pi).trim()}" is not one of train, validation (val/dev) or test.` });
  }
  problems.sort((a, b) => a.line - b.line);
  const ds: Dataset = { format: table.format, header: table.header, mapping, task, rows, problems, scoreRange, dropped: [] };
  if (hasDecimalComma) ds.decimalComma = true;
  if (li >= 0) {
    ds.labels = declared ? buildLabelVocabulary(declared).classes : collectLabels(ds);
    ds.labelsDeclared = !!declared;
  }
  return ds;
}

/** The classes of a dataset without declared labels: every label on a row without problems. */
export function collectLabels(ds: Dataset): string[] {
  // Rows with any problem do not define classes (a ragged row's "label" may be some other field).
  const bad = new Set(ds.problems.map((p) => p.line));
  return buildLabelVocabulary(ds.rows.filter((r) => !bad.has(r.line) && r.label).map((r) => r.label!)).classes;
}

/**
 * Remove the rows starting at the given lines (the user confirmed it) together with their problems.
 * File-level problems (fatal, or on the header line) stay: no row drop fixes them.
 */
export function dropRows(ds: Dataset, lineNumbers: Iterable<number>): Dataset {
  const drop = new Set(lineNumbers);
  const present = new Set(ds.rows.map((r) => r.line));
  const dropped = [...drop].filter((l) => present.has(l));
  const out: Dataset = {
    ...ds,
    rows: ds.rows.filter((r) => !drop.has(r.line)),
    problems: ds.problems.filter((p) => p.fatal || !present.has(p.line) || !drop.has(p.line)),
    dropped: [...ds.dropped, ...dropped].sort((a, b) => a - b),
  };
  if (ds.mapping.label && !ds.labelsDeclared) out.labels = collectLabels(out);
  return out;
}

/** Lines of every row that has a problem (what "drop these rows" offers). */
export function problemLines(ds: Dataset): number[] {
  const rowLines = new Set(ds.rows.map((r) => r.line));
  return [...new Set(ds.problems.filter((p) => !p.fatal && rowLines.has(p.line)).map((p) => p.line))].sort((a, b) => a - b);
}

/** Throws a DataError summarising what is left to fix; training calls this first. */
export function assertReady(ds: Dataset): void {
  if (ds.problems.length) {
    const head = ds.problems.slice(0, 5).map(formatProblem).join('\n');
    throw new DataError(`The data has ${ds.problems.length} problem${ds.problems.length === 1 ? '' : 's'} to fix or drop first:\n${head}${ds.problems.length > 5 ? '\n…' : ''}`);
  }
  if (ds.rows.length < 2) throw new DataError(`The data has ${ds.rows.length} row${ds.rows.length === 1 ? '' : 's'}; at least 2 are needed (one to train, one to validate).`);
  if (ds.mapping.label && (ds.labels?.length ?? 0) < 2)
    throw new DataError(`The label column "${ds.mapping.label}" has ${ds.labels?.length ?? 0} distinct label(s); classification needs at least 2.`);
}
