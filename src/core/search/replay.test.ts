/**
 * Replay tables with repeated training seeds and per-epoch rows (the real landscapes in bench/landscapes):
 * the mean over seeds by default, one seed's row on request, and the largest epoch count as full fidelity.
 */
import { describe, expect, it } from 'vitest';
import { collectSearch } from './engine';
import { ReplayObjective, parseReplayTable, spaceForTable } from './replay';
import { makeConfig } from './space';
import { evalRecords, tinySpace } from './testkit';

const CSV = `ranks,seed,epochs,mse,seconds
2@4,1,1,0.30,
2@4,1,2,0.20,4.1
2@4,2,1,0.32,
2@4,2,2,0.26,4.0
2@4,3,2,0.17,4.2
4@4,1,2,0.10,4.4
`;

describe('replay table with seeds and epochs', () => {
  const table = parseReplayTable(CSV);
  const space = spaceForTable(table, 2, tinySpace(2, [2, 4]).targets);

  it('reads the seed column as a key, not a metric, and the largest epoch count', () => {
    expect(table.hasSeeds).toBe(true);
    expect(table.maxEpochs).toBe(2);
    expect(table.metrics).toEqual(['mse', 'seconds']);
    expect(table.rows.map((r) => r.seed)).toEqual([1, 1, 2, 2, 3, 1]);
    expect(() => parseReplayTable(`${CSV}2@4,2,2,0.3,\n`)).toThrow(/line 8 repeats 2@4 at 2 epochs with seed 2 \(first on line 5\)/);
    expect(() => parseReplayTable('ranks,seed,mse\n2@4,x,0.1\n')).toThrow(/column 'seed': 'x' is not an integer/);
  });

  it('answers with the mean over seeds; rows at the largest epoch count are full fidelity whatever maxEpochs is', async () => {
    const obj = new ReplayObjective(table, 'mse');
    const full = await obj.evaluate(makeConfig(space, [2, 4]), { epochs: 100, maxEpochs: 100 });
    expect(full.status).toBe('ok');
    expect(full.metrics!.mse).toBeCloseTo((0.2 + 0.26 + 0.17) / 3, 12);
    const early = await obj.evaluate(makeConfig(space, [2, 4]), { epochs: 1, maxEpochs: 2 });
    expect(early.metrics!.mse).toBeCloseTo(0.31, 12);
    expect((await obj.evaluate(makeConfig(space, [4, 4]), { epochs: 1, maxEpochs: 2 })).status).toBe('skipped');
    expect((await obj.evaluate(makeConfig(space, [4, 2]), { epochs: 2, maxEpochs: 2 })).status).toBe('skipped');
  });

  it('with a pick, answers with that seed’s row (index modulo the seeds present, ascending seed)', async () => {
    const picks: [string, number | null, readonly number[]][] = [];
    const obj = new ReplayObjective(table, 'mse', (name, epochs, seeds) => {
      picks.push([name, epochs, seeds]);
      return 4;
    });
    const r = await obj.evaluate(makeConfig(space, [2, 4]), { epochs: 2, maxEpochs: 2 });
    expect(r.metrics!.mse).toBe(0.26); // index 4 mod 3 = 1 → seed 2
    expect(picks).toEqual([['2@4', 2, [1, 2, 3]]]);
  });

  it('drives a search (the CLI path): one evaluation per configuration, the mean as its value', async () => {
    const events = await collectSearch({ space, objective: new ReplayObjective(table, 'mse'), strategy: 'grid', maxEpochs: 2 });
    const ok = evalRecords(events).filter((r) => r.status === 'ok');
    expect(ok.map((r) => [r.name, Number(r.value!.toFixed(4))])).toEqual([
      ['2@4', 0.21],
      ['4@4', 0.1],
    ]);
  });
});
