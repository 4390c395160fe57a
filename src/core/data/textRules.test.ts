// Upload and results use the same rules: whatever the Data page accepts, the results document accepts; what
// results could not show is refused (or cleaned) at upload with the row and field named.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DataSession } from './session';
import { TEXT_RULES, cleanName, classNameProblem } from './textRules';
import { datasetSchema } from '../share/schema';
import { LabDB } from '../store/db';
import { runToShareDoc } from '../run/results';
import { PRESETS } from '../run/settings';
import { TINY_SOURCE } from '../store/testkit';


const tokens = () => Promise.resolve((t: string) => t.split(' ').length + 2);
const csv = (rows: [string, string][]) => new Blob(['text,label\n' + rows.map(([t, l]) => `${t},${l}`).join('\n') + '\n']);

describe('one set of rules for names and classes', () => {
  it('lists rows whose label is too long or carries a control/bidi character, with line and column', async () => {
    const rows: [string, string][] = [];
    for (let i = 0; i < 30; i++) rows.push([`row ${i} text`, ['pos', 'neg', 'neu'][i % 3]]);
    rows[4] = ['bidi label', 'neg\u202Eevil'];
    rows[9] = ['long label', 'x'.repeat(TEXT_RULES.maxClassName + 1)];
    rows[12] = ['bell label', 'pos\u0007'];
    const s = new DataSession({ tokenizer: tokens });
    const sum = await s.open(csv(rows), 'labels.csv');
    const bad = sum.problems.filter((p) => p.kind === 'bad-label');
    expect(bad.map((p) => [p.line, p.column])).toEqual([[6, 'label'], [11, 'label'], [14, 'label']]);
    expect(bad[0].message).toContain('U+202E');
    expect(bad[1].message).toMatch(/65 characters long; a class name can have at most 64/);
    expect(bad[2].message).toContain('U+0007');
    await expect(s.record()).rejects.toThrow(/problems to fix or drop/);
    const fixed = s.dropProblemRows();
    expect(fixed.labels).toEqual(['neg', 'neu', 'pos']);
    const rec = await s.record();
    expect(datasetSchema.safeParse(rec.fingerprint).success).toBe(true);
  });

  it('blocks more classes than results hold, even when the labels are declared', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `class ${i}`);
    const s = new DataSession({ tokenizer: tokens });
    await s.open(csv(names.flatMap((n) => [[`a ${n}`, n], [`b ${n}`, n]] as [string, string][])), 'many.csv');
    const sum = await s.remap({ text: 'text', label: 'label' }, { labels: names });
    expect(sum.checks.blockers[0]).toMatch(/"label" has 300 classes; at most 200 are supported/);
    await expect(s.record()).rejects.toThrow(/300 classes/);
    // 200 declared classes with names of the maximum length are accepted, and so is their fingerprint.
    const ok = Array.from({ length: 200 }, (_, i) => `${i}`.padEnd(TEXT_RULES.maxClassName, 'y'));
    const s2 = new DataSession({ tokenizer: tokens });
    await s2.open(csv(ok.map((n) => [`t ${n}`, n])), 'ok.csv');
    const sum2 = await s2.remap({ text: 'text', label: 'label' }, { labels: ok });
    expect(sum2.checks.blockers).toEqual([]);
    expect(datasetSchema.safeParse((await s2.record()).fingerprint).success).toBe(true);
    // A declared label that breaks the rules is named.
    await expect(s2.remap({ text: 'text', label: 'label' }, { labels: [...ok.slice(0, 3), 'bad\u202E'] })).resolves.toMatchObject({
      mappingError: expect.stringMatching(/Declared label "bad.*U\+202E/),
    });
  });

  it('cleans names at upload, and any stored run opens its results (old names and classes cleaned)', async () => {
    const s = new DataSession({ tokenizer: tokens });
    const sum = await s.open(csv([['a text', 'pos'], ['b text', 'neg'], ['c text', 'pos'], ['d text', 'neg']]), 'report\u202Efdp.csv');
    expect(sum.name).toBe('reportfdp.csv');
    expect(cleanName(`a\u2066b\u0000c ${'z'.repeat(300)}`)).toHaveLength(TEXT_RULES.maxName);
    expect(classNameProblem('fine')).toBeUndefined();

    // A run stored before these rules: a run name with U+202E, a class name with a bidi character.
    const db = new LabDB(`tr-${Math.random()}`);
    const fingerprint = { sha256: 'a'.repeat(64), rows: 4, task: 'label' as const, classes: { names: ['pos\u202E', 'neg'], counts: [2, 2] } };
    expect(datasetSchema.safeParse(fingerprint).success).toBe(false);
    await db.datasets.put({ id: 'd', name: 'x', createdAt: 0, bytes: 1, fingerprint, rows: [], mapping: { task: 'label', labels: ['neg', 'pos\u202E'] } });
    await db.runs.put({
      id: 'r', name: 'coarse on evil\u202Ecod.exe', createdAt: 0, updatedAt: 0, status: 'done', settings: { ...PRESETS.quick.settings, metric: 'f1' },
      modelId: 'rank-lab/tiny-roberta', model: { layers: 4, hidden: 128, intermediate: 512 }, modelSource: TINY_SOURCE, datasetId: 'd',
    });
    const doc = await runToShareDoc(db, 'r');
    expect(doc.title).toBe('coarse on evilcod.exe');
    expect(doc.dataset.classes!.names).toEqual(['pos', 'neg']);
    db.close();
  });
});
