/**
 * The upload screen's state machine, kept out of the UI so it runs in the data worker (a 100k-row file
 * never blocks the page) and in Node tests: open a file (sniffing its encoding, delimiter and header row
 * unless the user chose them), re-map columns, drop the rows the user confirmed, run the whole-dataset
 * checks (./sanity) and apply the user's choices for them, preview the split, and produce the record that
 * is stored in IndexedDB. Everything sent back is a small
 * summary (preview, capped problem list, histograms), never the rows themselves.
 */
import { cleanName } from './textRules';
import { detectMapping } from './columns';
import { DERIVED_CLASS_NAMES } from '../vocabulary';
import { parseTable } from './parse';
import { applyLabelFixes, dedupeRows, duplicateMessage, findDuplicates, findRareClasses, labelColumnBlocker, type DuplicateReport, type LabelFix, type RareClass } from './sanity';
import { describeDelimiter, describeReading, LAST_ON_LINE } from './sniff';
import { splitRows } from './split';
import { derivedClassCounts, labelCounts, scoreHistogram, tokenLengthHistogram, type Histogram, type TokenLengthSummary } from './stats';
import { datasetFingerprint, type DatasetFingerprint } from './fingerprint';
import { assertReady, buildDataset, DEFAULT_SCORE_RANGE, dropRows, problemLines } from './validate';
import { previewRows } from './dataset';
import {
  DataError,
  DEFAULT_LIMITS,
  formatProblem,
  PREVIEW_CELL_CHARS,
  PREVIEW_COLUMNS,
  type ColumnMapping,
  type DataLimits,
  type DataRow,
  type Dataset,
  type EncodingChoice,
  type ParsedTable,
  type ReadInfo,
  type Problem,
  type TableFormat,
  type StoredMapping,
  type TaskKind,
} from './types';

/** Problems sent to the UI at most; the total is always reported and the full list is in problemReport(). */
export const PROBLEM_CAP = 1000;
export const PREVIEW_ROWS = 20;
/** Rare classes listed at most (each with its own choice). */
export const RARE_CAP = 50;
const TOKENIZE_CHUNK = 2000;

export type DataPhase = 'reading' | 'parsing' | 'validating' | 'tokenizing';
export interface DataProgress {
  phase: DataPhase;
  /** 0..1 within the phase. */
  fraction: number;
  rows?: number;
}

export interface MappingOptions {
  /** Declared score range; null turns the range check off. Default [-1, 1]. */
  scoreRange?: [number, number] | null;
  /** Declared label set; rows with other labels are listed. null / empty: every label seen is a class. */
  labels?: string[] | null;
  /** Max tokens per text for the "will be truncated" count (default 512, the paper's setting). */
  maxLength?: number;
  /** How to read the file (used by open; a re-read is a new open). Fields left out are sniffed. */
  read?: ReadOptions;
  /** The user's choice per rare class (merge into another class, drop its rows, keep); default keep. */
  labelFixes?: Record<string, LabelFix> | null;
  /** Keep only the first row of each text (the repeats are dropped). Default false. */
  dedupe?: boolean;
}

/** Overrides of what the sniffer decides (./sniff). */
export interface ReadOptions {
  /** One character; '@' splits each line at its last '@' (text@label). */
  delimiter?: string;
  /** True: the first row holds the column names; false: it is data (columns "column 1", "column 2", …). */
  header?: boolean;
  encoding?: EncodingChoice;
}

/** Whole-dataset checks (./sanity) and the choices applied for them. */
export interface DataChecks {
  /** Why the dataset cannot be used as mapped (e.g. a label column with 701 classes); blocks saving. */
  blockers: string[];
  /** Classes with very few rows (first RARE_CAP), each with the choice in force. */
  rareClasses: (RareClass & { fix: LabelFix })[];
  rareClassCount: number;
  /** Rows whose label was merged into another class / dropped by a rare-class choice. */
  merged: number;
  labelDropped: number;
  /** Repeated texts (before de-duplication), with the message; absent when no text repeats. */
  duplicates?: Omit<DuplicateReport, 'lines'> & { message: string };
  dedupe: boolean;
  /** Rows dropped by de-duplication. */
  deduplicated: number;
}

export interface DataStats {
  /** Score data: histogram over the declared range (or the data's range). */
  score?: Histogram;
  /** Score data: counts of the 5 classes derived from the score (core/vocabulary's thresholds). */
  derived?: { names: string[]; counts: number[] };
  /** Label data: count per class, in class-id order. */
  labels?: { label: string; count: number }[];
  /** Token lengths with <s> and </s>; absent when the tokenizer could not be loaded (see tokenError). */
  tokens?: TokenLengthSummary;
  tokenError?: string;
}

export interface DataSummary {
  name: string;
  bytes: number;
  format: TableFormat;
  delimiter?: string;
  hadBom: boolean;
  /** Encoding, line ends, header and delimiter: what was detected (and how sure) or chosen. */
  reading: ReadInfo;
  /** The same in words: "@-separated (label after the last @), no header, UTF-8 with BOM, CRLF line ends". */
  readAs: string;
  /** The read overrides in force. */
  read: ReadOptions;
  /** The score column writes decimals with a comma (0,5 read as 0.5). */
  decimalComma: boolean;
  checks: DataChecks;
  header: string[];
  /** First rows as written in the file. */
  preview: { line: number; values: string[] }[];
  /** Mapping detected from the column names (defaults for the selects). */
  detected: Partial<ColumnMapping>;
  /** The mapping in use, when one could be applied. */
  mapping?: ColumnMapping;
  /** Why no dataset could be built from the chosen mapping (choose other columns). */
  mappingError?: string;
  task?: TaskKind;
  scoreRange: [number, number] | null;
  /** Labels declared by the user (null: collected from the rows). */
  declaredLabels: string[] | null;
  /** Class names (class id = index) when a label column is mapped. */
  labels?: string[];
  /** The first PROBLEM_CAP problems, sorted by line. */
  problems: Problem[];
  problemCount: number;
  /** Lines "drop these rows" would remove (rows with a problem). */
  problemRows: number;
  /** A file-level problem no row drop fixes: the file must be fixed. */
  fatal: boolean;
  /** Data rows in the file (header excluded). */
  records: number;
  /** Rows kept (records minus the ones the user dropped). */
  rows: number;
  dropped: number;
  stats: DataStats;
  limits: DataLimits;
  maxLength: number;
  parseMs: number;
  validateMs: number;
  tokenizeMs: number;
}

export interface SplitCounts {
  train: number;
  val: number;
  test: number;
  seed: number;
  valFraction: number;
  testFraction: number;
  /** True when the user's split column decided the split. */
  fromColumn: boolean;
}

export interface SplitChoice {
  seed: number;
  valFraction?: number;
  testFraction?: number;
  /** Use the mapped split column (default: when one is mapped). */
  useSplitColumn?: boolean;
}

export interface DatasetRecordData {
  id: string;
  name: string;
  createdAt: number;
  bytes: number;
  fingerprint: DatasetFingerprint;
  rows: DataRow[];
  mapping: StoredMapping;
}

/** Token counter: text → length with special tokens (truncation off). */
export type TokenCounter = (text: string) => number;

export interface DataSessionOptions {
  /** Loaded lazily once; a rejection is shown as stats.tokenError, never fails the upload. */
  tokenizer?: () => Promise<TokenCounter>;
  limits?: Partial<DataLimits>;
  /** Yield to the event loop between tokenization chunks (lets a newer open() cancel this one). */
  yieldEvery?: () => Promise<void>;
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

export class DataSession {
  private table?: ParsedTable;
  private name = '';
  private detected: Partial<ColumnMapping> = {};
  private ds?: Dataset;
  private mappingError?: string;
  private opts: SessionOptions = defaultOptions();
  private read: ReadOptions = {};
  private checks: DataChecks = noChecks();
  private droppedLines: number[] = [];
  private split_?: SplitChoice;
  private validateMs = 0;
  private tokenizeMs = 0;
  /** Token length per line, for the current text column (re-mapping another column clears it). */
  private tokenLens = new Map<number, number>();
  private tokenColumn?: string;
  private tokenError?: string;
  private counter?: Promise<TokenCounter>;
  private generation = 0;
  private readonly limits: DataLimits;

  constructor(private readonly options: DataSessionOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** Read a file and validate it with the detected mapping. A newer open() cancels an older one still running. */
  async open(file: Blob | string, name: string, onProgress?: (p: DataProgress) => void, mappingOpts: MappingOptions = {}): Promise<DataSummary> {
    const gen = ++this.generation;
    const controller = new AbortController();
    const superseded = () => gen !== this.generation;
    this.clear(false);
    onProgress?.({ phase: 'reading', fraction: 0 });
    const read = { ...mappingOpts.read };
    const table = await parseTable(file, {
      fileName: name,
      limits: this.limits,
      delimiter: read.delimiter,
      header: read.header,
      encoding: read.encoding,
      signal: controller.signal,
      onProgress: (p) => {
        if (superseded()) controller.abort();
        else onProgress?.({ phase: 'parsing', fraction: p.fraction, rows: p.rows });
      },
    });
    if (superseded()) throw cancelled();
    this.table = table;
    // The file's name titles the dataset and its runs' results: shown as text, so cleaned of control/bidi characters.
    this.name = cleanName(name);
    this.read = read;
    this.detected = detectMapping(table.header, table.records, { byContent: !table.reading.hasHeader });
    this.setOptions(mappingOpts);
    onProgress?.({ phase: 'validating', fraction: 0, rows: table.records.length });
    this.rebuild(this.detected);
    await this.tokenize(gen, onProgress);
    return this.summary();
  }

  /** Apply a (user-edited) mapping and options; rows the user dropped stay dropped. */
  async remap(mapping: Partial<ColumnMapping>, mappingOpts: MappingOptions = {}, onProgress?: (p: DataProgress) => void): Promise<DataSummary> {
    this.requireTable();
    const gen = ++this.generation;
    this.setOptions(mappingOpts);
    this.rebuild(mapping);
    await this.tokenize(gen, onProgress);
    return this.summary();
  }

  /** Drop every row that has a problem (the user pressed "drop these N rows"). */
  dropProblemRows(): DataSummary {
    this.requireTable();
    if (!this.ds) throw new DataError('There is no dataset to drop rows from: choose the columns first.');
    const lines = problemLines(this.ds);
    this.droppedLines = [...new Set([...this.droppedLines, ...lines])].sort((a, b) => a - b);
    this.rebuild(this.ds.mapping);
    return this.summary();
  }

  split(choice: SplitChoice): SplitCounts {
    const ds = this.requireDataset();
    const useSplitColumn = choice.useSplitColumn ?? !!ds.mapping.split;
    if (!Number.isInteger(choice.seed)) throw new DataError(`The split seed must be a whole number (got ${choice.seed}).`);
    const valFraction = choice.valFraction ?? 0.1;
    const testFraction = choice.testFraction ?? 0;
    const s = splitRows(ds.rows, { seed: choice.seed, valFraction, testFraction, useSplitColumn });
    this.split_ = { seed: choice.seed, valFraction, testFraction, useSplitColumn };
    return { train: s.train.length, val: s.val.length, test: s.test.length, seed: choice.seed, valFraction, testFraction, fromColumn: useSplitColumn };
  }

  /** Every problem as "Line N: reason" lines (the UI list is capped at PROBLEM_CAP). */
  problemReport(): string {
    const problems = this.ds?.problems ?? this.table?.problems ?? [];
    return problems.map(formatProblem).join('\n');
  }

  /** The record to store: mapped rows, mapping + task + labels + score range + split choice, fingerprint. */
  async record(now = Date.now()): Promise<DatasetRecordData> {
    const ds = this.requireDataset();
    if (this.checks.blockers.length) throw new DataError(this.checks.blockers[0]);
    assertReady(ds);
    const split = this.split_ ?? { seed: 42, valFraction: 0.1, testFraction: 0, useSplitColumn: !!ds.mapping.split };
    // Checked again here so a stale split preview never gets stored.
    const counts = this.split(split);
    const fingerprint = await datasetFingerprint(ds);
    const mapping: StoredMapping = {
      ...ds.mapping,
      task: ds.task,
      scoreRange: ds.scoreRange,
      splitSeed: split.seed,
      valFraction: split.valFraction ?? 0.1,
      testFraction: split.testFraction ?? 0,
      useSplitColumn: split.useSplitColumn ?? false,
      maxLength: this.opts.maxLength,
      splitCounts: { train: counts.train, val: counts.val, test: counts.test },
    };
    const truncated = this.truncatedRows();
    if (truncated !== undefined) mapping.truncated = truncated;
    if (ds.labels) mapping.labels = ds.labels;
    return {
      // Same rows + same name → same id, so saving twice replaces rather than duplicates.
      id: `ds-${fingerprint.sha256.slice(0, 16)}`,
      name: this.name,
      createdAt: now,
      bytes: this.table!.bytes,
      fingerprint,
      rows: ds.rows.map(compactRow),
      mapping,
    };
  }

  clear(bumpGeneration = true): void {
    if (bumpGeneration) this.generation++;
    this.table = undefined;
    this.ds = undefined;
    this.mappingError = undefined;
    this.detected = {};
    this.droppedLines = [];
    this.split_ = undefined;
    this.tokenLens.clear();
    this.tokenColumn = undefined;
    this.tokenError = undefined;
    this.tokenizeMs = 0;
    this.validateMs = 0;
    this.opts = defaultOptions();
    this.read = {};
    this.checks = noChecks();
  }

  private setOptions(o: MappingOptions): void {
    if (o.scoreRange !== undefined) {
      const r = o.scoreRange;
      if (r && !(Number.isFinite(r[0]) && Number.isFinite(r[1]))) throw new DataError('Both ends of the score range must be numbers.');
      this.opts.scoreRange = r;
    }
    if (o.labels !== undefined) {
      const l = o.labels?.map((s) => s.trim()).filter((s) => s !== '') ?? null;
      this.opts.labels = l && l.length ? l : null;
    }
    if (o.maxLength !== undefined) {
      if (!Number.isInteger(o.maxLength) || o.maxLength < 3) throw new DataError(`Max length must be a whole number ≥ 3 (got ${o.maxLength}).`);
      this.opts.maxLength = o.maxLength;
    }
    if (o.labelFixes !== undefined) this.opts.labelFixes = { ...o.labelFixes };
    if (o.dedupe !== undefined) this.opts.dedupe = o.dedupe;
  }

  private rebuild(mapping: Partial<ColumnMapping>): void {
    const table = this.requireTable();
    const t0 = performance.now();
    this.ds = undefined;
    this.mappingError = undefined;
    this.checks = noChecks();
    if (table.problems.some((p) => p.fatal)) return;
    try {
      let ds = buildDataset(table, mapping, { scoreRange: this.opts.scoreRange, labels: this.opts.labels ?? undefined, limits: this.limits });
      if (this.droppedLines.length) ds = dropRows(ds, this.droppedLines);
      const readAs = table.format === 'jsonl' ? undefined : LAST_ON_LINE.has(table.delimiter ?? '') ? `${table.delimiter}-separated` : `${describeDelimiter(table.delimiter ?? ',')}-separated`;
      const checks = noChecks();
      checks.dedupe = this.opts.dedupe;
      // Rare classes (unless the column is not a label column at all), and the user's choice for each.
      const blocked = labelColumnBlocker(ds, readAs);
      const rare = blocked || !ds.mapping.label || ds.labelsDeclared ? [] : findRareClasses(labelCounts(ds), ds.rows.length);
      const fixes: Record<string, LabelFix> = {};
      for (const r of rare) fixes[r.label] = this.opts.labelFixes[r.label] ?? { action: 'keep' };
      checks.rareClassCount = rare.length;
      checks.rareClasses = rare.slice(0, RARE_CAP).map((r) => ({ ...r, fix: fixes[r.label] }));
      const fixed = applyLabelFixes(ds, fixes);
      ds = fixed.ds;
      checks.merged = fixed.merged;
      checks.labelDropped = fixed.dropped;
      // Repeated texts, counted before de-duplication so the report (and the choice) stays visible.
      const dup = findDuplicates(ds.rows);
      const message = duplicateMessage(dup);
      if (message) {
        const { lines: _lines, ...report } = dup;
        checks.duplicates = { ...report, message };
      }
      if (this.opts.dedupe) {
        const d = dedupeRows(ds);
        ds = d.ds;
        checks.deduplicated = d.dropped;
      }
      const blocker = labelColumnBlocker(ds, readAs);
      if (blocker) checks.blockers.push(blocker);
      this.checks = checks;
      this.ds = ds;
    } catch (e) {
      this.mappingError = (e as Error).message;
    }
    this.validateMs = performance.now() - t0;
  }

  private async tokenize(gen: number, onProgress?: (p: DataProgress) => void): Promise<void> {
    const ds = this.ds;
    if (!ds || !this.options.tokenizer) return;
    if (this.tokenColumn !== ds.mapping.text) {
      this.tokenLens.clear();
      this.tokenColumn = ds.mapping.text;
    }
    const todo = ds.rows.filter((r) => !this.tokenLens.has(r.line));
    if (!todo.length) return;
    const t0 = performance.now();
    let count: TokenCounter;
    try {
      count = await (this.counter ??= this.options.tokenizer());
      this.tokenError = undefined;
    } catch (e) {
      this.counter = undefined;
      this.tokenError = `Token lengths are not available: the tokenizer could not be loaded (${(e as Error).message}).`;
      return;
    }
    const pause = this.options.yieldEvery ?? tick;
    for (let i = 0; i < todo.length; i += TOKENIZE_CHUNK) {
      if (gen !== this.generation) throw cancelled();
      const end = Math.min(todo.length, i + TOKENIZE_CHUNK);
      for (let j = i; j < end; j++) this.tokenLens.set(todo[j].line, count(todo[j].text));
      onProgress?.({ phase: 'tokenizing', fraction: end / todo.length, rows: end });
      if (end < todo.length) await pause();
    }
    if (gen !== this.generation) throw cancelled();
    this.tokenizeMs = performance.now() - t0;
  }

  /** Rows longer than the max length, when every row's token length is known. */
  private truncatedRows(): number | undefined {
    const ds = this.ds;
    if (!ds || this.tokenColumn !== ds.mapping.text || !ds.rows.every((r) => this.tokenLens.has(r.line))) return undefined;
    return ds.rows.filter((r) => this.tokenLens.get(r.line)! > this.opts.maxLength).length;
  }

  private summary(): DataSummary {
    const table = this.requireTable();
    const ds = this.ds;
    const problems = ds?.problems ?? table.problems;
    const stats: DataStats = {};
    if (ds) {
      if (ds.mapping.score) {
        stats.score = scoreHistogram(ds);
        stats.derived = { names: [...DERIVED_CLASS_NAMES], counts: derivedClassCounts(ds.rows) };
      }
      if (ds.mapping.label) stats.labels = labelCounts(ds);
      if (this.tokenColumn === ds.mapping.text && ds.rows.every((r) => this.tokenLens.has(r.line))) {
        // Lengths are cached per line; tokenLengthHistogram walks the texts in row order.
        const lens = ds.rows.map((r) => this.tokenLens.get(r.line)!);
        let i = 0;
        stats.tokens = tokenLengthHistogram(
          ds.rows.map((r) => r.text),
          () => lens[i++],
          { maxLength: this.opts.maxLength },
        );
      }
    }
    stats.tokenError = this.tokenError;
    const fatal = table.problems.some((p) => p.fatal);
    return {
      name: this.name,
      bytes: table.bytes,
      format: table.format,
      delimiter: table.delimiter,
      hadBom: table.hadBom,
      reading: table.reading,
      readAs: describeReading(table),
      read: { ...this.read },
      decimalComma: !!ds?.decimalComma,
      checks: this.checks,
      header: table.header,
      preview: previewRows(table, PREVIEW_ROWS, PREVIEW_COLUMNS, PREVIEW_CELL_CHARS),
      detected: this.detected,
      mapping: ds?.mapping,
      mappingError: this.mappingError,
      task: ds?.task,
      scoreRange: this.opts.scoreRange,
      declaredLabels: this.opts.labels,
      labels: ds?.labels,
      problems: problems.slice(0, PROBLEM_CAP),
      problemCount: problems.length,
      problemRows: ds ? problemLines(ds).length : 0,
      fatal,
      records: table.records.length,
      rows: ds ? ds.rows.length : table.records.length,
      dropped: ds ? ds.dropped.length : 0,
      stats,
      limits: this.limits,
      maxLength: this.opts.maxLength,
      parseMs: table.parseMs,
      validateMs: this.validateMs,
      tokenizeMs: this.tokenizeMs,
    };
  }

  private requireTable(): ParsedTable {
    if (!this.table) throw new DataError('Open a file first.');
    return this.table;
  }

  private requireDataset(): Dataset {
    this.requireTable();
    if (!this.ds) throw new DataError(this.mappingError ?? 'The file cannot be used as it is: fix the problems listed and upload it again.');
    return this.ds;
  }
}

type SessionOptions = { scoreRange: [number, number] | null; labels: string[] | null; maxLength: number; labelFixes: Record<string, LabelFix>; dedupe: boolean };

function defaultOptions(): SessionOptions {
  return { scoreRange: DEFAULT_SCORE_RANGE, labels: null, maxLength: 512, labelFixes: {}, dedupe: false };
}

function noChecks(): DataChecks {
  return { blockers: [], rareClasses: [], rareClassCount: 0, merged: 0, labelDropped: 0, dedupe: false, deduplicated: 0 };
}

function cancelled(): DataError {
  const e = new DataError('Superseded by a newer upload.');
  e.name = 'AbortError';
  return e;
}

/** Rows as stored: only the fields that are set (no undefined keys in IndexedDB). */
function compactRow(r: DataRow): DataRow {
  const out: DataRow = { line: r.line, text: r.text };
  if (r.score !== undefined) out.score = r.score;
  if (r.label !== undefined) out.label = r.label;
  if (r.split !== undefined) out.split = r.split;
  return out;
}
