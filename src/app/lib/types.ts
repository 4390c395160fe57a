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
}

export type Page = 'data' | 'model' | 'search' | 'run' | 'results' | 'history' | 'playground';
