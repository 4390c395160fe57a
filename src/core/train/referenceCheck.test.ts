import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors } from '../model/safetensors';
import { runReferenceCheck, type ReferenceFixture } from './referenceCheck';

const root = new URL('../../../', import.meta.url);

describe('PyTorch reference (tiny RoBERTa, ranks 0/4/8/16 on query+value+intermediate.dense)', () => {
  it('matches features, head outputs, losses, every gradient and 5 AdamW steps within 1e-4', async () => {
    await tf.setBackend('cpu');
    const fixture = JSON.parse(readFileSync(new URL('tests/fixtures/reference/tiny-lora.json', root), 'utf8')) as ReferenceFixture;
    const config = JSON.parse(readFileSync(new URL('public/models/tiny-roberta/config.json', root), 'utf8'));
    const { tensors } = parseSafetensors(readFileSync(new URL('public/models/tiny-roberta/model.safetensors', root)));
    const before = tf.memory().numTensors;
    const res = await runReferenceCheck(fixture, config, tensors);
    console.log('reference check', JSON.stringify(res.maxRelErr), 'abs', JSON.stringify(res.maxAbsErr));
    expect(tf.memory().numTensors).toBe(before);
    for (const q of ['features', 'score', 'logits', 'regLoss', 'clsLoss', 'loss', 'grad.lora', 'grad.heads', 'stepLosses', 'after.lora', 'after.heads'])
      expect(res.maxRelErr[q], q).toBeLessThanOrEqual(1e-4);
    expect(res.pass).toBe(true);
  });
});
