import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFingerprint, sha256Hex } from '../../src/core/data/fingerprint';
import { loadDataset } from '../../src/core/data/dataset';
import { datasetSchema } from '../../src/core/share/schema';

describe('dataset fingerprint', () => {
  it('hashes like node:crypto and summarises the demo data without any text, in the shape share links accept', async () => {
    const bytes = readFileSync(join(__dirname, '..', '..', 'public', 'data', 'semeval2017-task5-microblogs.csv'));
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    const ds = (await loadDataset(bytes.toString('utf8'))).dataset!;
    const fp = await datasetFingerprint(ds);
    expect(datasetSchema.safeParse(fp).success).toBe(true);
    expect(fp.rows).toBe(1738);
    expect(fp.task).toBe('score');
    expect(fp.score!.histogram.reduce((a, b) => a + b, 0)).toBe(1738);
    expect(fp.classes!.counts.reduce((a, b) => a + b, 0)).toBe(1738);
    const scores = ds.rows.map((r) => r.score!);
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    expect(fp.score!.mean).toBeCloseTo(mean, 12);
    expect(fp.score!.min).toBe(Math.min(...scores));
    const json = JSON.stringify(fp);
    for (const r of ds.rows.slice(0, 50)) expect(json.includes(r.text)).toBe(false);
  });
});
