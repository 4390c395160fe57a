import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { TextTokenizer } from './tokenizer';

const dir = new URL('../../../public/models/tiny-roberta/', import.meta.url);
const tok = TextTokenizer.fromJSON(
  JSON.parse(readFileSync(new URL('tokenizer.json', dir), 'utf8')),
  JSON.parse(readFileSync(new URL('tokenizer_config.json', dir), 'utf8')),
);

describe('RoBERTa tokenizer', () => {
  it('encodes the documented ids', () => {
    expect(tok.encode('Hello world')).toEqual([0, 31414, 232, 2]);
    expect(tok.encode(' Hello world')).toEqual([0, 20920, 232, 2]);
    expect(tok.encode('Hello world!')).toEqual([0, 31414, 232, 328, 2]);
    expect(tok.info).toEqual({ bosId: 0, eosId: 2, padId: 1, vocabSize: 50265 });
  });

  it('truncates to max length and keeps the final </s>', () => {
    const ids = tok.encode('one two three four five six seven eight nine ten', 6);
    expect(ids).toHaveLength(6);
    expect(ids[0]).toBe(0);
    expect(ids[5]).toBe(2);
    expect(ids.slice(1, 5)).toEqual(tok.encode('one two three four five six seven eight nine ten').slice(1, 5));
    expect(() => tok.encode('x', 2)).toThrow(/too small/);
  });

  it('pads a batch with id 1 to its longest member with correct masks', () => {
    const b = tok.encodeBatch(['Hello world', 'Hello world!', 'Hi']);
    expect(b.seqLen).toBe(5);
    expect(b.batch).toBe(3);
    expect([...b.inputIds.slice(0, 5)]).toEqual([0, 31414, 232, 2, 1]);
    expect([...b.inputIds.slice(5, 10)]).toEqual([0, 31414, 232, 328, 2]);
    expect([...b.attentionMask]).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(b.lengths).toEqual([4, 5, 3]);
  });
});
