import { describe, expect, it } from 'vitest';
import { describeEmbeddedModel, parsePretraining } from './describe';

const tiny = { layers: 4, hidden: 128, params: 7_420_000, vocab: 50265 };

describe('describeEmbeddedModel', () => {
  it('derives the size from the loaded architecture', () => {
    const t = describeEmbeddedModel(tiny);
    expect(t.what).toBe('Embedded tiny RoBERTa: 4 layers, hidden 128, ~7.4 M parameters (6.4 M of them the 50,265-token embedding table).');
    expect(t.training).toBe('Pretrained by masked-language modelling on WordNet glosses and the Python documentation (about 3.4 M tokens).');
    expect(t.purpose).toBe('It is for trying the lab offline; real work wants a hub model such as FacebookAI/roberta-base.');
    expect(describeEmbeddedModel({ ...tiny, layers: 6, hidden: 256 }).what).toMatch(/^Embedded tiny RoBERTa: 6 layers, hidden 256, .*\(12\.9 M of them/);
  });
  it('adds the figures of pretraining.json when it is there', () => {
    const facts = parsePretraining({ sha256: 'x', steps: 3400, seed: 20171, tokensPerBatch: 2048, heldout: { before: { accuracy: 0.0, loss: 10.8 }, after: { accuracy: 0.3, loss: 4 } } });
    expect(facts).toEqual({ steps: 3400, seed: 20171, tokensPerBatch: 2048, heldoutBefore: 0, heldoutAfter: 0.3 });
    expect(describeEmbeddedModel(tiny, facts).training).toBe(
      'Pretrained by masked-language modelling on WordNet glosses and the Python documentation (about 3.4 M tokens, 3,400 steps of up to 2,048 tokens, seed 20171). ' +
        'Masked-token accuracy on held-out text: 0.0 % before, 30.0 % after pretraining.',
    );
    expect(describeEmbeddedModel(tiny, parsePretraining({ corpusTokens: 3.2e6, seconds: 3700, threads: 2 })).training).toBe(
      'Pretrained by masked-language modelling on WordNet glosses and the Python documentation (about 3.2 M tokens, 62 minutes on 2 CPU threads).',
    );
  });
  it('parsePretraining: absent, malformed or hostile files give nothing, never a throw', () => {
    expect(parsePretraining(undefined)).toBeUndefined();
    expect(parsePretraining('<!doctype html>')).toBeUndefined();
    expect(parsePretraining([1, 2])).toBeUndefined();
    expect(parsePretraining({ steps: 'many', heldout: { after: { accuracy: 7 } } })).toBeUndefined();
    expect(parsePretraining({ steps: 10, heldout: null })).toEqual({ steps: 10 });
  });
});
