/**
 * The one set of rules for the names and classes a dataset brings in. The Data page applies them at upload
 * (rows with bad labels are listed, too many classes block the dataset, names are cleaned) and the results
 * document (share schema) checks the same limits, so a dataset that trains always has results.
 */
export const TEXT_RULES = {
  /** Classes of a label column (results, share links and exports carry one entry per class). */
  maxClasses: 200,
  /** Characters of a class name. */
  maxClassName: 64,
  /** Characters of a dataset or run name (the results' title). */
  maxName: 120,
} as const;

// C0/C1 controls and bidi overrides/isolates: text that could disguise itself when displayed.
// eslint-disable-next-line no-control-regex
export const UNSAFE_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** "U+202E" for the first control or bidi character in `s`, if any. */
export function unsafeCharIn(s: string): string | undefined {
  const m = UNSAFE_CHARS.exec(s);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : undefined;
}

/** Why a class name cannot be used, or undefined when it can. */
export function classNameProblem(label: string): string | undefined {
  const bad = unsafeCharIn(label);
  if (bad) return `The label contains the invisible control or text-direction character ${bad}, which can disguise how it reads: remove it from the file.`;
  if (label.length > TEXT_RULES.maxClassName)
    return `The label is ${label.length.toLocaleString('en')} characters long; a class name can have at most ${TEXT_RULES.maxClassName} (is "${label.slice(0, 24)}…" the text column?).`;
  return undefined;
}

/** Why a label column has more classes than results can hold, or undefined. */
export function classCountProblem(classes: number, column: string): string | undefined {
  if (classes <= TEXT_RULES.maxClasses) return undefined;
  return `"${column}" has ${classes.toLocaleString('en')} classes; at most ${TEXT_RULES.maxClasses} are supported (results, share links and exports list every class). Merge classes or choose another label column.`;
}

/** Characters of a column name as read from a header (a runaway header line must not fill every message). */
export const MAX_COLUMN_NAME = 80;

/** A header cell as a column name: at most MAX_COLUMN_NAME characters, cut in the middle (marked "…") so that
 *  names differing only at the end stay apart. */
export function capColumnName(name: string): string {
  return name.length > MAX_COLUMN_NAME ? `${name.slice(0, MAX_COLUMN_NAME - 21)}…${name.slice(-20)}` : name;
}

/** Column names for a message: the first few, each capped, and how many more there are. */
export function listColumns(header: readonly string[], max = 12): string {
  const shown = header.slice(0, max).map((h) => `"${capColumnName(h)}"`).join(', ');
  return header.length > max ? `${shown} and ${(header.length - max).toLocaleString('en')} more` : shown;
}

/**
 * A name fit to show and to title results: control and bidi characters removed (harmless to drop, they only
 * change how the rest displays), whitespace collapsed, at most `max` characters.
 */
export function cleanName(name: string, max: number = TEXT_RULES.maxName, fallback = 'untitled'): string {
  const s = name.replace(UNSAFE_ALL, '').replace(/\s+/g, ' ').trim();
  if (!s) return fallback;
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
