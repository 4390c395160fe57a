import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { openModel } from '../run/modelSession';
import { runSmoke } from './smoke';

const pub = new URL('../../../public/', import.meta.url);
const localFetch = (async (url: string) => new Response(readFileSync(new URL(String(url).replace(/^\//, ''), pub)))) as unknown as typeof fetch;

describe('smoke path (embedded tiny model, cpu)', () => {
  it('loss falls over 10 steps and the tensor count is the same after step 2 and step 10', async () => {
    await tf.setBackend('cpu');
    const session = await openModel({ kind: 'url', baseUrl: '/models/tiny-roberta/', id: 'rank-lab/tiny-roberta' }, { fetch: localFetch });
    expect(session.info.summary.layers).toBe(4);
    const csv = readFileSync(new URL('data/semeval2017-task5-microblogs.csv', pub), 'utf8').split('\n').slice(1, 9);
    const rows = csv.map((l) => {
      const i = l.lastIndexOf(',');
      return { text: l.slice(0, i).replace(/^"|"$/g, ''), score: Number(l.slice(i + 1)) };
    });
    const res = await runSmoke(session.model, session.tokenizer, rows, { steps: 10 });
    console.log('smoke losses', res.steps.map((s) => s.loss.toFixed(4) + '|' + s.evalMse.toFixed(4)).join(' '));
    expect(res.status).toBe('completed');
    expect(res.steps).toHaveLength(10);
    expect(res.lastLoss).toBeLessThan(res.firstLoss);
    expect(res.steps[9].numTensors).toBe(res.steps[1].numTensors);
    expect(res.loraParams).toBe(4 * 4 * (128 + 128) * 2);
    session.dispose();
  });
});
