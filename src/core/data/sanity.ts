/**
 * Sanity checks that no single row fails but the dataset as a whole does, each a pure function with a
 * message a user understands:
 * - a "label" column with too many classes (the file was probably split at the wrong delimiter, or the
 *   text or score column was mapped as the label) — blocks using the dataset;
 * - classes with very few rows (often typos: "postive"), each with a suggested class to merge into, and the
 *   choice merge / drop those rows / keep;
 * - texts that repeat (the same text can land in training and validation), with the choice to keep only the
 *   first row of each text.
 * Applying a choice (applyLabelFixes, dedupeRows) returns a new Dataset; nothing changes without it.
 */
import { collectLabels, dropRows } from './validate';
import { classCountProblem } from './textRules';
import { DataError, type Dataset, type DataRow } from './types';

export const CLASS_CHECKS = {
  /** More classes than this is not a label column… */
  maxClasses: 50,
  /** …nor is one where more than this share of the rows carry distinct labels (once there are > minClassesForShare). */
  maxDistinctShare: 0.2,
  minClassesForShare: 10,
  /** A class is rare below this many rows… */
  rareRows: 3,
  /** …or below this share of the rows… */
  rareShare: 0.01,
  /** …provided the largest class is at least 1/rareVsLargest times bigger (in a 5-row file 1/2/2 is not rare). */
  rareVsLargest: 0.2,
} as const;

const n = (x: number) => x.toLocaleString('en');
const rowsWord = (c: number) => `${n(c)} row${c === 1 ? '' : 's'}`;

// ---------------------------------------------------------------- too many classes

export interface ClassCount {
  label: string;
  count: number;
}

/**
 * Why a label column is not one, or undefined when it may be: more than 50 classes, or more than 10
 * classes covering more than 20 % of the rows (most classes would have a handful of rows). `readAs`
 * ("comma-separated") goes into the hint; `numeric` (most labels are numbers that are not all whole)
 * suggests mapping the column as the score instead.
 */
export function tooManyClasses(classes: number, rows: number, ctx: { column: string; readAs?: string; numeric?: boolean }): string | undefined {
  const c = CLASS_CHECKS;
  if (!(classes > c.maxClasses || (classes > c.minClassesForShare && classes > c.maxDistinctShare * rows))) return undefined;
  const hint = ctx.numeric
    ? `its values are numbers: map "${ctx.column}" as the score column instead`
    : `check the delimiter${ctx.readAs ? ` (the file was read as ${ctx.readAs})` : ''} or choose another label column`;
  return `${n(classes)} distinct labels in ${rowsWord(rows)} of "${ctx.column}": this does not look like a label column — ${hint}.`;
}

const NUMBERISH = /^[+-]?(\d+\.?\d*|\.\d+|\d*,\d+)(e[+-]?\d+)?$/i;

/** The blocking check on a dataset (collected labels only; declared labels are the user's statement). */
export function labelColumnBlocker(ds: Dataset, readAs?: string): string | undefined {
  if (!ds.mapping.label || !ds.labels) return undefined;
  // Declared labels are the user's statement, but results cannot hold more classes than this either way.
  if (ds.labelsDeclared) return classCountProblem(ds.labels.length, ds.mapping.label);
  const labels = ds.labels;
  const numeric = labels.length > 0 && labels.filter((l) => NUMBERISH.test(l)).length >= 0.9 * labels.length && labels.some((l) => /[.,]/.test(l));
  return tooManyClasses(labels.length, ds.rows.length, { column: ds.mapping.label, readAs, numeric });
}

// ---------------------------------------------------------------- rare classes

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), for typo suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const k = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: k + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++)
    for (let j = 1; j <= k; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[m][k];
}

export interface ClassSuggestion {
  label: string;
  why: 'case' | 'spacing' | 'typo';
}

const squash = (s: string) => s.toLowerCase().replace(/[\s_\-.]+/g, '');

/**
 * The class a rare label was probably meant to be, among `candidates` (ordered by rows, most first):
 * the same letters in another case ("Positive"), the same apart from spaces/underscores/hyphens/dots
 * ("very_positive"), or a typo — at most 1 edit for labels of 4–5 characters, 2 for longer ones
 * ("postive", "negaitve"; labels of 1–3 characters such as "A" or "pos" are too short to tell a typo).
 * The closest wins; on a tie, the class with more rows.
 */
export function suggestClass(label: string, candidates: readonly string[]): ClassSuggestion | undefined {
  let best: { label: string; why: ClassSuggestion['why']; score: number } | undefined;
  for (const c of candidates) {
    if (c === label) continue;
    let why: ClassSuggestion['why'] | undefined;
    let score = 0;
    if (c.toLowerCase() === label.toLowerCase()) why = 'case';
    else if (squash(c) === squash(label) && squash(c) !== '') [why, score] = ['spacing', 0.5];
    else {
      const len = Math.min(label.length, c.length);
      const dist = editDistance(label.toLowerCase(), c.toLowerCase());
      if (len >= 4 && dist <= (len <= 5 ? 1 : 2)) [why, score] = ['typo', dist];
    }
    if (why && (!best || score < best.score)) best = { label: c, why, score };
  }
  return best && { label: best.label, why: best.why };
}

export interface RareClass extends ClassCount {
  suggestion?: ClassSuggestion;
  /** "postive (1 row) looks like a typo of positive." */
  message: string;
}

/**
 * Classes with fewer than 3 rows or under 1 % of the rows, when the largest class has at least 5 times as
 * many, each with a suggested class (suggestClass among the classes that are not rare) and a message.
 */
export function findRareClasses(counts: readonly ClassCount[], rows: number): RareClass[] {
  const c = CLASS_CHECKS;
  const largest = Math.max(0, ...counts.map((x) => x.count));
  const isRare = (x: ClassCount) => (x.count < c.rareRows || x.count < c.rareShare * rows) && x.count <= c.rareVsLargest * largest;
  const common = counts.filter((x) => !isRare(x)).sort((a, b) => b.count - a.count).map((x) => x.label);
  return counts.filter(isRare).map((x) => {
    const suggestion = suggestClass(x.label, common);
    const head = `${x.label} (${rowsWord(x.count)})`;
    const message = !suggestion
      ? `${head} has very few rows for a class of its own; the model can hardly learn it.`
      : suggestion.why === 'case'
        ? `${head} differs from ${suggestion.label} only in upper/lower case.`
        : suggestion.why === 'spacing'
          ? `${head} differs from ${suggestion.label} only in spaces or punctuation.`
          : `${head} looks like a typo of ${suggestion.label}.`;
    return { ...x, ...(suggestion ? { suggestion } : {}), message };
  });
}

export type LabelFix = { action: 'merge'; into: string } | { action: 'drop' } | { action: 'keep' };

/**
 * Apply the user's choices for some labels: merge (the rows take another existing class), drop (the rows
 * are dropped, as dropRows does) or keep. Choices for labels no row carries are ignored (a re-mapping may
 * have removed them); merging into a label that is not a class is an error.
 */
export function applyLabelFixes(ds: Dataset, fixes: Readonly<Record<string, LabelFix>>): { ds: Dataset; merged: number; dropped: number } {
  if (!ds.mapping.label) return { ds, merged: 0, dropped: 0 };
  const present = new Set(ds.rows.map((r) => r.label));
  const classes = new Set(ds.labels ?? []);
  const merge = new Map<string, string>();
  const drop = new Set<string>();
  for (const [label, fix] of Object.entries(fixes)) {
    if (!present.has(label) || fix.action === 'keep') continue;
    if (fix.action === 'drop') drop.add(label);
    else {
      if (!classes.has(fix.into) || fix.into === label) throw new DataError(`Cannot merge "${label}" into "${fix.into}": that is not another class of this column.`);
      merge.set(label, fix.into);
    }
  }
  if (!merge.size && !drop.size) return { ds, merged: 0, dropped: 0 };
  let merged = 0;
  const rows = ds.rows.map((r): DataRow => {
    const into = r.label !== undefined ? merge.get(r.label) : undefined;
    if (into === undefined) return r;
    merged++;
    return { ...r, label: into };
  });
  let out: Dataset = { ...ds, rows };
  if (!ds.labelsDeclared) out.labels = collectLabels(out);
  const dropLines = rows.filter((r) => r.label !== undefined && drop.has(r.label)).map((r) => r.line);
  if (dropLines.length) out = dropRows(out, dropLines);
  return { ds: out, merged, dropped: dropLines.length };
}

// ---------------------------------------------------------------- duplicates

export interface DuplicateReport {
  /** Rows whose text repeats an earlier row's text. */
  repeats: number;
  /** Distinct texts among all rows. */
  distinct: number;
  /** Repeats whose score or label differs from the first row with that text. */
  conflicting: number;
  /** Rows of the most repeated text, and its (shortened) text. */
  maxCopies: number;
  example: string;
  /** Lines of the repeating rows (what "keep the first of each" drops). */
  lines: number[];
}

/** Texts compare after Unicode NFC, with runs of white space as one space and the ends trimmed; case counts. */
export const textKey = (t: string): string => t.normalize('NFC').replace(/\s+/g, ' ').trim();

export function findDuplicates(rows: readonly DataRow[]): DuplicateReport {
  const first = new Map<string, { row: DataRow; copies: number }>();
  const lines: number[] = [];
  let conflicting = 0;
  for (const r of rows) {
    const key = textKey(r.text);
    if (key === '') continue;
    const seen = first.get(key);
    if (!seen) {
      first.set(key, { row: r, copies: 1 });
      continue;
    }
    seen.copies++;
    lines.push(r.line);
    const differs = (a: number | undefined, b: number | undefined) => a !== b && !(Number.isNaN(a) && Number.isNaN(b));
    if (seen.row.label !== r.label || differs(seen.row.score, r.score)) conflicting++;
  }
  let maxCopies = 0;
  let example = '';
  for (const [key, v] of first)
    if (v.copies > maxCopies) {
      maxCopies = v.copies;
      example = key.length > 60 ? key.slice(0, 59) + '…' : key;
    }
  return { repeats: lines.length, distinct: first.size, conflicting, maxCopies, example, lines };
}

/** "1,980 rows repeat another row's text; 11 distinct texts (…)", or undefined when no text repeats. */
export function duplicateMessage(r: DuplicateReport): string | undefined {
  if (!r.repeats) return undefined;
  const conflict = r.conflicting ? ` ${n(r.conflicting)} of them carr${r.conflicting === 1 ? 'ies' : 'y'} a different score or label than the first row with that text.` : '';
  return (
    `${rowsWord(r.repeats)} repeat${r.repeats === 1 ? 's' : ''} another row's text; ${n(r.distinct)} distinct text${r.distinct === 1 ? '' : 's'}` +
    (r.maxCopies > 2 ? ` ("${r.example}" appears ${n(r.maxCopies)} times)` : '') +
    `. A repeated text can land in both training and validation, which flatters the validation metric.${conflict}`
  );
}

/** Keep the first row of each text; the others are dropped (as dropRows does). */
export function dedupeRows(ds: Dataset): { ds: Dataset; dropped: number } {
  const { lines } = findDuplicates(ds.rows);
  return lines.length ? { ds: dropRows(ds, lines), dropped: lines.length } : { ds, dropped: 0 };
}
