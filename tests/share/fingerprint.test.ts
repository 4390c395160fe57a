import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { datasetFingerprint, sha256Hex } from '../../src/core/share/fingerprint';
import { datasetSchema } from '../../src/core/share/schema';

describe('dataset fingerprint', () => {
  it('hashes like node:crypto and summarises the demo data without any text', async () => {
    const bytes = readFileSync(join(__dirname, '..', '..', 'public', 'data', 'semeval2017-task5-microblogs.csv'));
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    const rows = Papa.parse<{ text: string; score: string }>(bytes.toString('utf8'), { header: true, skipEmptyLines: true }).data;
    const scores = rows.map((r) => Number(r.score));
    const ids = scores.map((y) => (y > 0.5 ? 4 : y > 0.049 ? 3 : y >= -0.049 ? 2 : y >= -0.5 ? 1 : 0));
    const fp = await datasetFingerprint(bytes, rows.length, { scores, classes: { names: ['0', '1', '2', '3', '4'], ids } });
    expect(datasetSchema.safeParse(fp).success).toBe(true);
    expect(fp.rows).toBe(1738);
    expect(fp.task).toBe('both');
    expect(fp.score!.histogram.reduce((a, b) => a + b, 0)).toBe(1738);
    expect(fp.classes!.counts.reduce((a, b) => a + b, 0)).toBe(1738);
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    expect(fp.score!.mean).toBeCloseTo(mean, 12);
    expect(fp.score!.min).toBe(Math.min(...scores));
    const json = JSON.stringify(fp);
    for (const r of rows.slice(0, 50)) expect(json.includes(r.text)).toBe(false);
  });
});
