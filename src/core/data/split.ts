/**
 * Train / validation (/ test) split: seeded random 90/10 by default (the seed paper's split), an optional
 * third test part, or the user's own split column. Same seed and same rows → same split, everywhere,
 * because the permutation comes from src/core/util/rng.
 */
import { RootRng } from '../util/rng';
import { DataError, type DataRow } from './types';

export interface SplitOptions {
  seed: number | string;
  /** Share of rows for validation (default 0.1). */
  valFraction?: number;
  /** Share of rows for a held-out test part (default 0: none). */
  testFraction?: number;
  /** Use each row's `split` (from a mapped split column) instead of a random split. */
  useSplitColumn?: boolean;
}

/** Indices into the row array, ascending within each part. */
export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}

export function splitRows(rows: readonly Pick<DataRow, 'split' | 'line'>[], opts: SplitOptions): SplitIndices {
  const n = rows.length;
  if (opts.useSplitColumn) {
    const out: SplitIndices = { train: [], val: [], test: [] };
    rows.forEach((r, i) => {
      if (!r.split) throw new DataError(`Line ${r.line}: the row has no split value; every row needs train, validation or test.`);
      out[r.split].push(i);
    });
    if (!out.train.length) throw new DataError('The split column marks no row as train.');
    if (!out.val.length) throw new DataError('The split column marks no row as validation (val/dev/validation).');
    return out;
  }
  const valFraction = opts.valFraction ?? 0.1;
  const testFraction = opts.testFraction ?? 0;
  if (!(valFraction > 0 && valFraction < 1)) throw new DataError(`The validation share must be between 0 and 1 (got ${valFraction}).`);
  if (!(testFraction >= 0 && valFraction + testFraction < 1))
    throw new DataError(`The validation and test shares together must leave rows to train on (got ${valFraction} + ${testFraction}).`);
  // Like scikit-learn's train_test_split: held-out sizes round up, so a tiny dataset still validates on something.
  const nTest = Math.ceil(n * testFraction);
  const nVal = Math.ceil(n * valFraction);
  if (n - nTest - nVal < 1) throw new DataError(`${n} rows are too few to split into train, validation${nTest ? ' and test' : ''}.`);
  const perm = new RootRng(opts.seed).fork('data-split').shuffle(Array.from({ length: n }, (_, i) => i));
  const asc = (a: number[]) => a.sort((x, y) => x - y);
  return { test: asc(perm.slice(0, nTest)), val: asc(perm.slice(nTest, nTest + nVal)), train: asc(perm.slice(nTest + nVal)) };
}
