/**
 * Pieces of stored records for tests that put runs and datasets into IndexedDB themselves (not used by the
 * app): the embedded model's source as a run keeps it, and a fingerprint for datasets whose statistics the
 * test does not look at.
 */
import type { StoredModelSource } from '../model/load';
import type { DatasetFingerprint } from '../data/fingerprint';

export const TINY_SOURCE: StoredModelSource = { kind: 'url', baseUrl: '/models/tiny-roberta/', id: 'rank-lab/tiny-roberta' };

export const EMPTY_FINGERPRINT: DatasetFingerprint = { sha256: '0'.repeat(64), rows: 0, task: 'score' };
