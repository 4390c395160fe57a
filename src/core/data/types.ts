/** Shared shapes of the data pipeline: parse (./parse) → map columns (./columns) → validate (./validate). */

export type ProblemKind =
  | 'empty-file'
  | 'too-large'
  | 'too-many-rows'
  | 'duplicate-header'
  | 'invalid-utf8'
  | 'bad-quoting'
  | 'ragged-row'
  | 'bad-json'
  | 'empty-text'
  | 'text-too-long'
  | 'non-numeric-score'
  | 'score-out-of-range'
  | 'empty-label'
  | 'unknown-label'
  | 'bad-split';

export interface Problem {
  /** 1-based line in the file where the row starts (header = line 1); 0 for the file as a whole. */
  line: number;
  kind: ProblemKind;
  /** What is wrong, in words a user understands (without the line number; see formatProblem). */
  message: string;
  /** Mapped column at fault, when one is. */
  column?: string;
  /** A file-level problem that no row drop can fix (the file must be fixed or the limit raised). */
  fatal?: boolean;
}

export function formatProblem(p: Problem): string {
  return p.line > 0 ? `Line ${p.line}: ${p.message}` : p.message;
}

export interface RawRecord {
  /** Line where the record starts (a quoted field may span lines). */
  line: number;
  /** Line where it ends. */
  endLine: number;
  values: string[];
}

export type TableFormat = 'csv' | 'tsv' | 'jsonl';

export interface ParsedTable {
  format: TableFormat;
  /** Field delimiter for csv/tsv. */
  delimiter?: string;
  /** Column names as written (trimmed). */
  header: string[];
  records: RawRecord[];
  /** Problems found while reading (encoding, quoting, shape, limits). */
  problems: Problem[];
  bytes: number;
  hadBom: boolean;
  /** Milliseconds spent parsing (for the UI and the benchmark print). */
  parseMs: number;
}

export interface DataLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number;
  /** Most data rows accepted (header excluded). */
  maxRows: number;
  /** Longest text accepted, in characters. */
  maxTextChars: number;
}

export const DEFAULT_LIMITS: DataLimits = {
  maxBytes: 256 * 2 ** 20,
  maxRows: 500_000,
  maxTextChars: 20_000,
};

export type TaskKind = 'score' | 'label' | 'both';
export type SplitName = 'train' | 'val' | 'test';

export interface ColumnMapping {
  text: string;
  score?: string;
  label?: string;
  split?: string;
}

export interface DataRow {
  line: number;
  text: string;
  /** Parsed score; NaN only on a row that has a score problem listed. */
  score?: number;
  /** Label as written (trimmed); class ids come from the dataset's label vocabulary. */
  label?: string;
  /** From a user split column, when mapped. */
  split?: SplitName;
}

export interface Dataset {
  format: TableFormat;
  header: string[];
  mapping: ColumnMapping;
  task: TaskKind;
  /** Every row of the file, including rows with problems: nothing is dropped without dropRows. */
  rows: DataRow[];
  /** Every problem, sorted by line. Training needs this empty (see assertReady). */
  problems: Problem[];
  /** Sorted label vocabulary (class id = index), for label tasks. */
  labels?: string[];
  /** True when the labels were declared by the user rather than collected from the rows. */
  labelsDeclared?: boolean;
  /** The declared score range used for validation, or null when unchecked. */
  scoreRange: [number, number] | null;
  /** Lines dropped by the user so far. */
  dropped: number[];
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
