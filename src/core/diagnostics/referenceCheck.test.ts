import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parseSafetensors } from '../model/safetensors';
import { runReferenceCheck, type ReferenceFile } from './referenceCheck';

const root = new URL('../../../', import.meta.url);
const file = JSON.parse(readFileSync(new URL('tests/fixtures/reference/tiny-lora.json', root), 'utf8')) as ReferenceFile;
const config = JSON.parse(readFileSync(new URL('public/models/tiny-roberta/config.json', root), 'utf8'));
const { tensors } = parseSafetensors(readFileSync(new URL('public/models/tiny-roberta/model.safetensors', root)));

// Both cases train in training mode with the reference's dropout masks, LoRA on all six linear layers with
// a different scale per layer, weight decay that moves the parameters, clipping and warm-up + cosine, through
// the production trainStep. "constant": 0.75/0.25 task weights, plain LoRA scale α/r; "adaptive": DAO task
// weights with class weights and the minority penalty, rsLoRA (α/√r).
describe('PyTorch float64 reference through trainStep (tiny RoBERTa, training mode, same dropout masks)', () => {
  for (const fx of file.cases)
    it(`${fx.name}: features, outputs, losses, gradients, grad norms, lrs and parameter changes over ${fx.optimizer.totalSteps} steps`, async () => {
      await tf.setBackend('cpu');
      const before = tf.memory().numTensors;
      const res = await runReferenceCheck(fx, config, tensors);
      console.log(`reference ${fx.name}`, JSON.stringify(res.maxRelErr));
      expect(tf.memory().numTensors).toBe(before);
      for (const q of ['features', 'score', 'logits', 'regLoss', 'clsLoss', 'loss', 'taskWeights', 'grad.lora', 'grad.heads', 'gradNorm0', 'stepLosses', 'stepRegLosses', 'stepClsLosses', 'stepTaskWeights', 'gradNorms', 'stepLrs', 'change.lora', 'change.heads'])
        expect(res.maxRelErr[q], q).toBeLessThanOrEqual(res.tolerances[q]);
      if (fx.objective.mode === 'adaptive') for (const q of ['classWeights', 'minorityMask']) expect(res.maxRelErr[q], q).toBeLessThanOrEqual(res.tolerances[q]);
      expect(res.failed).toEqual([]);
      expect(res.pass).toBe(true);
    });
});
