/**
 * Data worker: a thin Comlink layer over src/core/data's DataSession. Reading, parsing, validation and
 * tokenization of an upload happen here, so a 100k-row file never blocks the page; the UI gets small
 * summaries back (preview, capped problem list, histograms), never the rows.
 */
import * as Comlink from 'comlink';
import { DataSession, type DataProgress, type DataSummary, type MappingOptions, type SplitChoice, type SplitCounts } from '../src/core/data/session';
import { TextTokenizer } from '../src/core/model/tokenizer';
import { explainStorageError, labDb, type DatasetRecord } from '../src/core/store/db';
import type { ColumnMapping } from '../src/core/data/types';
import type { DatasetSummary } from '../src/core/data/types';

/** Every RoBERTa checkpoint shares one BPE vocabulary, so the embedded tokenizer gives the real token lengths. */
const TOKENIZER_BASE = `${import.meta.env.BASE_URL}models/tiny-roberta/`;

async function fetchJson(file: string): Promise<unknown> {
  const res = await fetch(new URL(TOKENIZER_BASE + file, self.location.origin));
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  return res.json();
}

async function loadCounter(): Promise<(text: string) => number> {
  const [tj, cfg] = await Promise.all([fetchJson('tokenizer.json'), fetchJson('tokenizer_config.json')]);
  const tok = TextTokenizer.fromJSON(tj, cfg as Record<string, unknown>);
  // Full length (no truncation): the histogram shows how many rows a max length would cut.
  return (text) => tok.encode(text, Number.MAX_SAFE_INTEGER).length;
}

const session = new DataSession({ tokenizer: loadCounter });

const api = {
  /** Read and validate a file with the detected mapping. A newer call cancels an older one (it rejects with name AbortError). */
  open(file: Blob, name: string, onProgress?: (p: DataProgress) => void, opts?: MappingOptions): Promise<DataSummary> {
    return session.open(file, name, onProgress, opts);
  },
  /** Re-validate with the user's column mapping / score range / declared labels / max length. */
  remap(mapping: Partial<ColumnMapping>, opts?: MappingOptions, onProgress?: (p: DataProgress) => void): Promise<DataSummary> {
    return session.remap(mapping, opts, onProgress);
  },
  /** Drop every row with a problem (after the user confirmed). */
  dropProblemRows(): DataSummary {
    return session.dropProblemRows();
  },
  /** Counts of the seeded split (default 90/10; the mapped split column when there is one). */
  split(choice: SplitChoice): SplitCounts {
    return session.split(choice);
  },
  /** Every problem, one "Line N: reason" per line (the summary's list is capped). */
  problemReport(): string {
    return session.problemReport();
  },
  /** Store the dataset in IndexedDB (Dexie `datasets`) and describe it for the rest of the lab. */
  async save(): Promise<DatasetSummary> {
    const rec = await session.record();
    try {
      await labDb().datasets.put(rec satisfies DatasetRecord);
    } catch (e) {
      throw new Error(explainStorageError(e));
    }
    const m = rec.mapping;
    const out: DatasetSummary = {
      id: rec.id, name: rec.name, task: m.task, rows: rec.rows.length, hasScore: !!m.score, hasLabel: !!m.label, scoreRange: m.scoreRange,
      split: { ...m.splitCounts, seed: m.splitSeed, valFraction: m.valFraction, testFraction: m.testFraction, fromColumn: m.useSplitColumn },
      maxLength: m.maxLength,
    };
    if (m.truncated !== undefined) out.truncated = m.truncated;
    if (m.labels) out.labels = m.labels;
    return out;
  },
  /** Forget the upload (the user pressed cancel). */
  clear(): void {
    session.clear();
  },
};

export type DataApi = typeof api;
Comlink.expose(api);
