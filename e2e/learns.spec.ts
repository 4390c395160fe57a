// The embedded model learns in the browser: a label-only file of a few hundred rows (WordNet definitions,
// noun or verb), a short search on the wasm backend (SwiftShader's WebGPU is too slow for hundreds of rows),
// a best trial whose validation accuracy is above the majority-class rate, and a playground that gives a
// clear verb definition a higher "verb" probability than a clear noun definition.
// Why this task and not sentiment: the embedded model (4 layers, hidden 128, pretrained on dictionary and
// documentation text) learns a definition's part of speech (R² 0.43 in tests/learning.test.ts) but not the
// demo data's sentiment; the README's "The embedded model" says why.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { switchBackend, useDataset } from './setup';

const ROWS = 400;

/** The first ROWS rows of the WordNet fixture with its score (−1 noun, +1 verb) turned into a label. */
function posLabels(): string {
  const lines = readFileSync(new URL('../tests/fixtures/data/wordnet-pos.csv', import.meta.url), 'utf8').trim().split('\n');
  const rows = lines.slice(1, ROWS + 1).map((l) => l.replace(/,-1$/, ',noun').replace(/,1$/, ',verb'));
  if (rows.some((r) => !/,(noun|verb)$/.test(r))) throw new Error('wordnet-pos.csv: a row without a -1/1 score at the end');
  const file = join(mkdtempSync(join(tmpdir(), 'ranklab-e2e-')), 'wordnet-pos-labels.csv');
  writeFileSync(file, ['text,label', ...rows].join('\n') + '\n');
  return file;
}

test('label-only WordNet file on wasm: the best trial beats the majority class; the playground tells a verb from a noun', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await switchBackend(page, 'wasm');
  await expect(page.getByTestId('model-id')).toHaveText('rank-lab/tiny-roberta');
  await useDataset(page, posLabels(), () => expect(page.getByTestId('task-kind')).toHaveText('label'));
  await page.getByTestId('tab-search').click();
  await page.getByTestId('preset-quick').click();
  await expect(page.getByTestId('metric')).toHaveValue('f1');
  // Quick look trains 1 epoch; 3 let a 360-row training set move the model (CLI, same settings: accuracy
  // 0.73–0.83 for seeds 1, 2 against a majority rate of 0.48).
  await page.getByTestId('epochs').fill('3');
  await page.getByTestId('max-evals').fill('2');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 300_000 });

  await page.getByTestId('tab-results').click();
  const accuracy = Number(await page.getByTestId('results-best-row').locator('[data-metric="accuracy"]').textContent());
  const majority = Number(await page.getByTestId('results-trivial').locator('[data-metric="accuracy"]').textContent());
  console.log(`best trial validation accuracy ${accuracy}, majority class ${majority}`);
  expect(majority).toBeGreaterThan(0.3);
  // 0.875 here; with the optimizer's learning rate forced to 0 it is 0.55 and this fails. Word cues alone carry
  // part of the task (the random-weight control reaches 0.65–0.68 in the CLI), so pretrained vs control is
  // tests/learning.test.ts's question, not this one's.
  expect(accuracy).toBeGreaterThan(majority + 0.25);
  await expect(page.getByTestId('results-trivial-verdict')).toHaveAttribute('data-kind', 'beats');

  // Definitions written for this test (not WordNet's): one plainly a verb's, one plainly a noun's.
  const verb = 'move quickly on foot; go somewhere by running';
  const noun = 'a large building where people live, with rooms and a roof';
  await page.getByTestId('tab-playground').click();
  await page.getByTestId('playground-input').fill(`${verb}\n${noun}`);
  await page.getByTestId('playground-run').click();
  const rows = page.getByTestId('playground-results').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  const probs = (await rows.evaluateAll((trs) => trs.map((tr) => JSON.parse((tr as HTMLElement).dataset.probs ?? '{}')))) as Record<string, number>[];
  console.log(`playground P(verb): verb definition ${probs[0].verb}, noun definition ${probs[1].verb}`);
  expect(probs[0].verb - probs[1].verb).toBeGreaterThan(0.15);
  expect(errors).toEqual([]);
});
