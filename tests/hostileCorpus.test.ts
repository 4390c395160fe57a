// The reliability corpus (tests/fixtures/hostile/, written by scripts/make-hostile-corpus.ts): every hostile
// file, link, zip and run file goes through the parser the app uses for it and must get its user-facing
// message (the manifest's fragment), fast, with nothing stored; markup and formulas stay plain text.
import 'fake-indexeddb/auto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataSession } from '../src/core/data/session';
import { LabDB } from '../src/core/store/db';
import { decodeShareLink } from '../src/core/share/shareLink';
import { importPeftAdapter } from '../src/core/share/peft';
import { importRunFile } from '../src/core/share/runFile';
import { importRayTuneResults } from '../src/core/share/rayTune';
import { classifyImport } from '../src/app/lib/importKind';
import type { DataRow, EncodingChoice } from '../src/core/data/types';

interface Entry {
  file: string;
  kind: string;
  outcome: 'refused' | 'text';
  message: string;
  note: string;
  read?: { encoding?: string };
}

const DIR = join(__dirname, 'fixtures/hostile');
const manifest: Entry[] = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const bytes = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));
const text = (f: string) => new TextDecoder().decode(bytes(f));
const TINY = { baseModel: 'rank-lab/tiny-roberta', layers: 4, hidden: 128, intermediate: 512 };
/** Each input is answered within this (most take a few ms; the bound leaves room for a loaded machine). */
const BOUND_MS = 1500;
const tokens = () => Promise.resolve((t: string) => t.split(' ').length + 2);

/** What the app shows and keeps for one entry: every message it would show, and what it stored / returned. */
interface Outcome {
  messages: string[];
  /** Data rows stored in IndexedDB (uploads), or 1 when a parser returned a result. */
  stored: number;
  /** Texts of the stored rows (uploads). */
  storedTexts: string[];
}

let dbn = 0;
async function run(e: Entry): Promise<Outcome> {
  switch (e.kind) {
    case 'csv':
    case 'tsv':
    case 'jsonl': {
      // The data worker's open + save (workers/data.worker.ts), with a fresh IndexedDB.
      const db = new LabDB(`hostile-${dbn++}`);
      const s = new DataSession({ tokenizer: tokens });
      const read = e.read ? { read: { encoding: e.read.encoding as EncodingChoice } } : undefined;
      const sum = await s.open(new Blob([bytes(e.file)]), e.file, undefined, read);
      const messages = [...sum.problems.map((p) => p.message), ...sum.checks.blockers, ...(sum.mappingError ? [sum.mappingError] : [])];
      try {
        const rec = await s.record();
        await db.datasets.put(rec);
      } catch (err) {
        messages.push((err as Error).message);
      }
      const stored = await db.datasets.toArray();
      await db.delete();
      return { messages, stored: stored.reduce((a, r) => a + r.rows.length, 0), storedTexts: stored.flatMap((r) => (r.rows as DataRow[]).map((x) => x.text)) };
    }
    case 'share-link': {
      const r = decodeShareLink(text(e.file));
      return { messages: r.ok ? [] : [r.error], stored: r.ok ? 1 : 0, storedTexts: [] };
    }
    case 'peft-zip': {
      const r = importPeftAdapter(bytes(e.file), TINY);
      return { messages: r.ok ? [] : [r.error], stored: r.ok ? 1 : 0, storedTexts: [] };
    }
    case 'safetensors': {
      // Picked as the adapter folder's weights file (the other way the adapter import reads files).
      const cfg = new TextEncoder().encode(JSON.stringify({ peft_type: 'LORA', base_model_name_or_path: TINY.baseModel, r: 2, lora_alpha: 4, bias: 'none' }));
      const r = importPeftAdapter({ 'adapter_config.json': cfg, 'adapter_model.safetensors': bytes(e.file) }, TINY);
      return { messages: r.ok ? [] : [r.error], stored: r.ok ? 1 : 0, storedTexts: [] };
    }
    case 'run-file':
    case 'trials-json':
    case 'ray-results': {
      // History → Import results (ImportCard.svelte): classify, then the run-file or Ray Tune reader.
      const t = text(e.file);
      const k = classifyImport(t);
      if (k.kind === 'wrong') return { messages: [k.error], stored: 0, storedTexts: [] };
      const r = k.kind === 'run-file' ? importRunFile(t) : importRayTuneResults(t);
      return { messages: r.ok ? [] : [r.error], stored: r.ok ? 1 : 0, storedTexts: [] };
    }
    default:
      throw new Error(`unknown kind ${e.kind}`);
  }
}

/** A message a person can read: a sentence, not a stack trace or a bare exception. */
const userFacing = (m: string) => m.length > 15 && !/\n\s+at |^(TypeError|RangeError|Error|SyntaxError):|undefined|\[object Object\]/.test(m);

describe('hostile corpus', () => {
  // Warm the parsers and IndexedDB once so the first entry's time is its own.
  beforeAll(async () => {
    const s = new DataSession({ tokenizer: tokens });
    await s.open(new Blob(['text,score\na,0.1\nb,0.2\n']), 'warm.csv');
    await s.record();
  });

  it('has at least 30 entries, and every file in the folder is in the manifest (and the other way round)', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(30);
    const files = readdirSync(DIR).filter((f) => f !== 'manifest.json').sort();
    expect(manifest.map((e) => e.file).sort()).toEqual(files);
    expect(new Set(manifest.map((e) => e.file)).size).toBe(manifest.length);
    for (const e of manifest) expect(e.message.length, e.file).toBeGreaterThan(0);
    const total = files.reduce((a, f) => a + bytes(f).length, 0);
    expect(total).toBeLessThan(300_000);
  });

  it.each(manifest.map((e) => [e.file, e] as const))('%s', async (_f, e) => {
    const t0 = performance.now();
    const out = await run(e);
    const ms = performance.now() - t0;
    expect(ms, `${e.file} took ${ms.toFixed(0)} ms`).toBeLessThan(BOUND_MS);
    if (e.outcome === 'refused') {
      expect(out.stored, `${e.file}: something was stored`).toBe(0);
      expect(out.messages.length, `${e.file}: no message`).toBeGreaterThan(0);
      const hit = out.messages.find((m) => m.includes(e.message));
      expect(hit, `${e.file}: no message contains ${JSON.stringify(e.message)}; got ${JSON.stringify(out.messages.map((m) => m.slice(0, 300)))}`).toBeDefined();
      expect(userFacing(hit!), hit).toBe(true);
    } else {
      // Accepted: the hostile cell is stored exactly as written, as text.
      expect(out.storedTexts).toContain(e.message);
    }
  });
});
