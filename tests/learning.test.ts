/**
 * Does the embedded model learn? One LoRA fine-tune (r 8 on query/value in every layer, the regression head,
 * the app's own split, trainer and metrics — what `npm run finetune -- --control` runs) of the pretrained
 * embedded weights and of the random-weight control, same split, seed and settings, on a task the
 * pretraining gives knowledge of: is a WordNet definition a noun's (−1) or a verb's (+1)?
 * (tests/fixtures/data/wordnet-pos.csv; the model read these definitions as plain text, never their part of
 * speech.) The pretrained model must clear the learning bars of the fine-tune benchmark and the control must
 * miss them — both asserted, so weights that carry nothing, a loader that scrambles them, or a trainer or
 * metric that flatters a constant predictor fail here.
 *
 * The demo scores are not used: on them the embedded model does no better than the control (README, "The
 * embedded model"), so no threshold there could tell the two apart.
 */
import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { LEARNING_BARS, finetuneEval, finetuneRunSettings, missedBars, prepareFinetuneData } from '../src/core/run/finetuneEval';
import { PRESETS } from '../src/core/run/settings';
import { readData } from '../src/cli/nodeData';
import { randomTinyModel, tinyModel, tinyTokenizer } from './engineFixtures';
import type { RobertaModel } from '../src/core/model/roberta';

const DATA = 'tests/fixtures/data/wordnet-pos.csv';
const ROWS = 700; // 525 training and 175 validation rows: two epochs take ~40 s per model on wasm
const SETTINGS = finetuneRunSettings(PRESETS.browser.settings, { ranks: 8, epochs: 2, lr: 1e-3, maxLength: 64, valFraction: 0.25, splitSeed: 0 });

async function fineTune(build: () => Promise<RobertaModel>) {
  const data = await readData(DATA, undefined, false, ROWS, () => {});
  const fd = prepareFinetuneData(data.rows, data.mapping, SETTINGS, tinyTokenizer());
  const model = await build();
  try {
    return await finetuneEval(model, fd, SETTINGS, 1);
  } finally {
    model.dispose();
  }
}

describe('the embedded model learns what its pretraining taught it; the random-weight control does not', () => {
  it('pretrained clears the fine-tune bars, the control misses them (same split, seed and settings)', async () => {
    const pretrained = await fineTune(() => tinyModel({ backend: 'wasm' }));
    const control = await fineTune(() => randomTinyModel({ backend: 'wasm' }));
    const show = (f: typeof pretrained) => ({ r2: f.r2, pearson: f.pearson, predStd: f.predStd, targetStd: f.targetStd, seconds: f.seconds });
    console.log('learning test', JSON.stringify({ pretrained: show(pretrained), control: show(control) }));
    expect(pretrained.status).toBe('completed');
    expect(missedBars(pretrained, LEARNING_BARS)).toEqual([]);
    expect(control.status).toBe('completed');
    expect(missedBars(control, LEARNING_BARS).length).toBeGreaterThan(0);
  }, 600_000);
});
