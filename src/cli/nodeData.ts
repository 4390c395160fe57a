/**
 * Reading a data file in Node exactly as the app reads an upload (`loadDataset`: format sniffing, column
 * mapping, row checks), for the command-line tools and the learning test. Problems stop the read with the
 * first one named (row and field), unless the caller drops the rows that have them.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadDataset } from '../core/data/dataset';
import { assertReady, dropRows, problemLines } from '../core/data/validate';
import { formatProblem, type DataRow } from '../core/data/types';
import { UsageError } from './args';

export interface DataInput {
  rows: DataRow[];
  mapping: { task: 'score' | 'label' | 'both'; labels?: string[] };
  dropped: number;
  total: number;
}

export async function readData(file: string, scoreRange: [number, number] | null | undefined, dropInvalid: boolean, maxRows: number | undefined, note: (s: string) => void): Promise<DataInput> {
  let bytes: Buffer<ArrayBuffer>;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read --data '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const loaded = await loadDataset(new Blob([bytes]), { fileName: basename(file), ...(scoreRange !== undefined ? { scoreRange } : {}) });
  const fatal = loaded.table.problems.find((p) => p.fatal);
  if (fatal) throw new UsageError(`${file}: ${formatProblem(fatal)}`);
  if (!loaded.dataset) throw new UsageError(`${file}: ${loaded.mappingError ?? 'no usable columns'}`);
  let ds = loaded.dataset;
  const total = ds.rows.length;
  let dropped = 0;
  if (ds.problems.length) {
    if (!dropInvalid) {
      throw new UsageError(`${file} has ${ds.problems.length} problem(s), first: ${formatProblem(ds.problems[0])} (fix them, or pass --drop-invalid)`);
    }
    const lines = problemLines(ds);
    for (const p of ds.problems.slice(0, 20)) note(`dropped: ${formatProblem(p)}`);
    if (ds.problems.length > 20) note(`dropped: … (${ds.problems.length - 20} more problems)`);
    ds = dropRows(ds, lines);
    dropped = lines.length;
  }
  if (maxRows !== undefined && ds.rows.length > maxRows) {
    ds = { ...ds, rows: ds.rows.slice(0, maxRows) };
    if (ds.mapping.label) {
      const seen = new Set(ds.rows.map((r) => r.label));
      ds.labels = ds.labels?.filter((l) => seen.has(l));
    }
  }
  try {
    assertReady(ds);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  return { rows: ds.rows, mapping: { task: ds.task, labels: ds.labels }, dropped, total };
}

