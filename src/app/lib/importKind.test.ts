import { describe, expect, it } from 'vitest';
import { classifyImport } from './importKind';

describe('classifyImport', () => {
  it('routes run files and Ray Tune results to their readers', () => {
    expect(classifyImport('{"format": "rank-lab-run", "version": 1}')).toEqual({ kind: 'run-file' });
    expect(classifyImport('\uFEFF{\n  "format": "rank-lab-run"\n}\n')).toEqual({ kind: 'run-file' });
    expect(classifyImport('{"kind": "header", "version": 1}\n{"kind": "trial"}\n')).toEqual({ kind: 'ray-tune' });
    expect(classifyImport('{"kind": "header", "version": 1}\n')).toEqual({ kind: 'ray-tune' });
    expect(classifyImport('{"format": "rank-lab-run", "oops": }')).toEqual({ kind: 'run-file' });
  });

  it('says what kind of file was expected when it gets valid JSON of the wrong kind', () => {
    const trials = JSON.stringify([{ config: 'r4-4', ranks: [4, 4], params: 10 }], null, 2);
    const r = classifyImport(trials);
    expect(r).toMatchObject({ kind: 'wrong', error: expect.stringMatching(/^This is a list of 1 trial \(the "Trials JSON" export\).*run file .*results\.jsonl/) });
    expect(classifyImport('[1, 2]')).toMatchObject({ kind: 'wrong', error: expect.stringMatching(/^This file is a JSON array/) });
    expect(classifyImport('42')).toMatchObject({ kind: 'wrong', error: expect.stringMatching(/single JSON number/) });
    expect(classifyImport('text,score\na,0.5\n')).toMatchObject({ kind: 'wrong', error: expect.stringMatching(/^This file is not JSON/) });
    expect(classifyImport('  \n')).toMatchObject({ kind: 'wrong', error: expect.stringMatching(/^The file is empty/) });
  });
});
