/** Plain data the pages pass around (no tensors, nothing from the workers' internals). */
import type { TaskKind } from '../../core/data/types';

/** What the Data page hands to the rest of the lab once a dataset is ready (stored in IndexedDB). */
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

export type Page = 'data' | 'model' | 'search' | 'run' | 'results' | 'history' | 'playground';
