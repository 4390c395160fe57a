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
  | 'bad-label'
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

/** The preview draws at most this many columns and characters per cell: a 10,000-column file must not freeze the page. */
export const PREVIEW_COLUMNS = 50;
export const PREVIEW_CELL_CHARS = 200;

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

/** Text encodings the reader knows (UTF-16 is recognised by its BOM or its zero bytes; Windows-1252 only on request). */
export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
export type EncodingChoice = 'auto' | Encoding;
export type LineEnding = 'LF' | 'CRLF' | 'CR' | 'mixed' | 'none';

/** How a file was read: what was detected (and how sure) or chosen by the user; the Data page's "Read as" line. */
export interface ReadInfo {
  encoding: Encoding;
  /** 'bom': from the byte-order mark; 'zeros': UTF-16 recognised by its zero bytes; 'default': UTF-8; 'chosen': by the user. */
  encodingSource: 'bom' | 'zeros' | 'default' | 'chosen';
  lineEnding: LineEnding;
  /** False when the first row is data; the columns are then named "column 1", "column 2", … (JSONL: true, the keys). */
  hasHeader: boolean;
  headerSource: 'detected' | 'chosen' | 'keys';
  /** False when the heuristic could not tell (the page then asks). */
  headerSure: boolean;
  /** Why the first row was taken as names or as data, in words. */
  headerReason: string;
  delimiterSource?: 'detected' | 'chosen' | 'file name';
  delimiterSure?: boolean;
  delimiterReason?: string;
  /** Physical lines holding bytes that are not valid UTF-8 (when read as UTF-8). */
  invalidUtf8Lines: number;
  /** An encoding that reads every byte, offered when the file is not valid UTF-8. */
  suggestedEncoding?: Encoding;
}

export interface ParsedTable {
  format: TableFormat;
  /** Field delimiter for csv/tsv; '@' splits each line at its LAST '@' (text@label, Financial PhraseBank). */
  delimiter?: string;
  /** Column names as written (trimmed), or "column 1", "column 2", … when the file has no header row. */
  header: string[];
  records: RawRecord[];
  /** Problems found while reading (encoding, quoting, shape, limits). */
  problems: Problem[];
  bytes: number;
  hadBom: boolean;
  /** Encoding, line ends, header and delimiter decisions. */
  reading: ReadInfo;
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
  /** True when the score column writes its decimals with a comma (0,5 = 0.5) in every row that has one. */
  decimalComma?: boolean;
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** What the data worker reports of a stored dataset: the Data page hands it to the rest of the lab. */
export interface DatasetSummary {
  /** Key in the Dexie `datasets` table. */
  id: string;
  name: string;
  task: TaskKind;
  rows: number;
  hasScore: boolean;
  hasLabel: boolean;
  /** Class names when a label column is mapped (class id = index). */
  labels?: string[];
  scoreRange: [number, number] | null;
  /** The split decided on the Data page, used unchanged by every trial. */
  split: { train: number; val: number; test: number; seed: number; valFraction: number; testFraction: number; fromColumn: boolean };
  /** Max tokens per text (with <s> and </s>); longer texts are cut there. */
  maxLength: number;
  /** Rows longer than maxLength (undefined: token lengths unknown). */
  truncated?: number;
}

/** What goes into the Dexie `datasets` table's `mapping` field (the ColumnMapping plus what a run needs). */
export interface StoredMapping extends ColumnMapping {
  task: TaskKind;
  labels?: string[];
  scoreRange: [number, number] | null;
  /** The split decided on the Data page: every trial of every run on this dataset uses it unchanged. */
  splitSeed: number;
  valFraction: number;
  testFraction: number;
  useSplitColumn: boolean;
  /** Max tokens per text (with <s> and </s>) decided on the Data page; every run cuts texts there. */
  maxLength: number;
  /** Rows longer than maxLength (cut when trained on); absent when the tokenizer could not be loaded. */
  truncated?: number;
  /** Rows per part of the split. */
  splitCounts: { train: number; val: number; test: number };
}

/**
 * A stored mapping as a run reads it. Datasets stored before the Data page kept its split and max length
 * with them lack those fields: a run then falls back to its own seed, validation share and max length.
 */
export type RunMapping = Pick<StoredMapping, 'task' | 'labels'> &
  Partial<Pick<StoredMapping, 'scoreRange' | 'splitSeed' | 'valFraction' | 'testFraction' | 'useSplitColumn' | 'maxLength'>>;

/** The `mapping` field of a stored dataset as read back: any field but the task may be missing on old records. */
export type StoredMappingRecord = RunMapping & Partial<StoredMapping>;
