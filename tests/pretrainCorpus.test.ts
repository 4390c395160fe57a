import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { rstParagraphs, wordnetDocs } from '../scripts/pretrain/build-corpus';

// The pretraining corpus of the embedded model: WordNet synsets become "words: gloss" documents and reST
// files keep only their prose (the model should not learn markup).
it('reads WordNet data lines as "word, word: gloss" and skips the licence header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wn-'));
  const header = '  1 This software and database is being provided to you, the LICENSEE, by  \n';
  writeFileSync(join(dir, 'data.adj'), header +
    '01229020 00 s 02 bullish 0 bull(a) 0 001 & 01228530 a 0000 | expecting a rise in prices; "a bullish market"  \n');
  for (const pos of ['noun', 'verb', 'adv']) writeFileSync(join(dir, `data.${pos}`), header);
  expect([...wordnetDocs(dir)]).toEqual(['bullish, bull: expecting a rise in prices; "a bullish market"']);
});

it('keeps reST prose, unwraps roles and drops directives, literal blocks, titles and tables', () => {
  const rst = [
    'Iterators', '=========', '',
    '.. function:: iter(object)', '', '   Return an :term:`iterator` object for the sequence.', '',
    'Use :func:`iter` to get an iterator over ``items`` in a *loop* like this::', '',
    '   for x in iter(items):', '       print(x)', '',
    'The loop stops when the iterator raises StopIteration at the end.', '',
    '+-----+-----+', '| a   | b   |', '+-----+-----+',
  ].join('\n');
  expect(rstParagraphs(rst)).toEqual([
    'Use iter to get an iterator over items in a loop like this:',
    'The loop stops when the iterator raises StopIteration at the end.',
  ]);
});
