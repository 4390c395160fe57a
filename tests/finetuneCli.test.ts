/**
 * `npm run finetune -- --control` trains the random-weight control in the same run, on the same split and
 * seeds, and says in the summary whether it misses the learning bars. Tiny sizes: this checks the wiring and
 * the report, not learning (tests/learning.test.ts does that).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function finetune(args: string[]) {
  const r = spawnSync('npx', ['tsx', 'src/cli/finetune.ts', ...args], { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname });
  return { code: r.status, lines: r.stdout.trim().split('\n').filter(Boolean), stderr: r.stderr };
}

describe('npm run finetune', () => {
  it('--control: one line per seed for the model and for the control, same split, and controlFails in the summary', () => {
    const { code, lines, stderr } = finetune(['--data', 'public/data/semeval2017-task5-microblogs.csv', '--rows', '60', '--epochs', '1', '--seeds', '1,2', '--control', '--no-baseline', '--json', '--quiet']);
    expect(code, stderr).toBe(0);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const runs = parsed.filter((o) => 'seed' in o && 'model' in o);
    expect(runs.map((o) => `${o.model}:${o.seed}`)).toEqual(['embedded:1', 'embedded:2', 'random:1', 'random:2']);
    // Same split: the same validation rows (and so the same target spread) for the model and the control.
    expect(new Set(runs.map((o) => `${o.valRows}/${o.targetStd}`)).size).toBe(1);
    const summary = parsed.at(-1)!.summary as Record<string, unknown>;
    expect(typeof summary.controlFails).toBe('boolean');
  }, 300_000);

  it('a bad option is a one-line error with exit code 2', () => {
    const { code, stderr } = finetune(['--data', 'public/data/semeval2017-task5-microblogs.csv', '--seeds', '1,1']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe("error: --seeds lists a seed twice: '1,1'");
  }, 120_000);
});
