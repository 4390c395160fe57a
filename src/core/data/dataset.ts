/**
 * One call for the upload screen (in the data worker): parse the file, detect the column mapping and
 * validate, returning everything the UI shows. Re-mapping columns calls buildDataset on the same table.
 */
import { detectMapping } from './columns';
import { parseTable, type ParseOptions } from './parse';
import { buildDataset, type ValidateOptions } from './validate';
import type { ColumnMapping, Dataset, ParsedTable } from './types';

export interface LoadedDataset {
  table: ParsedTable;
  /** Detected defaults (may lack fields the user must choose). */
  detected: Partial<ColumnMapping>;
  /** The validated dataset, or why it could not be built from the detected mapping (choose columns). */
  dataset?: Dataset;
  mappingError?: string;
}

export async function loadDataset(input: string | Blob, opts: ParseOptions & ValidateOptions = {}): Promise<LoadedDataset> {
  const table = await parseTable(input, opts);
  const detected = detectMapping(table.header, table.records, { byContent: !table.reading.hasHeader });
  if (table.problems.some((p) => p.fatal)) return { table, detected };
  try {
    return { table, detected, dataset: buildDataset(table, detected, opts) };
  } catch (e) {
    return { table, detected, mappingError: (e as Error).message };
  }
}

/** First rows for the preview table, as written. */
export function previewRows(table: ParsedTable, n = 20, columns = Infinity, cellChars = Infinity): { line: number; values: string[] }[] {
  const cell = (v: string) => (v.length > cellChars ? `${v.slice(0, cellChars - 1)}…` : v);
  return table.records.slice(0, n).map((r) => ({ line: r.line, values: r.values.slice(0, columns).map(cell) }));
}
