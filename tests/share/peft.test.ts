import { describe, expect, it } from 'vitest';
import { unzipSync, zipSync } from 'fflate';
import { exportPeftAdapter, importPeftAdapter, peftConfigFor, peftFiles } from '../../src/core/share/peft';
import { writeSafetensors, parseSafetensors } from '../../src/core/model/safetensors';
import { randomSnapshot, TINY } from './snapshots';

const expected = { baseModel: TINY.id, layers: TINY.layers, hidden: TINY.hidden, intermediate: TINY.intermediate };
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

describe('PEFT export', () => {
  it('writes PEFT config fields, key names and shapes', () => {
    const snap = randomSnapshot({ ranks: [0, 4, 8, 4], alphas: [16, 16, 32, 16] });
    const files = unzipSync(exportPeftAdapter(snap));
    expect(Object.keys(files).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'rank_lab.json']);
    const cfg = dec(files['adapter_config.json']);
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      base_model_name_or_path: 'rank-lab/tiny-roberta',
      r: 4,
      lora_alpha: 16,
      rank_pattern: { 'roberta.encoder.layer.2.attention.self.query': 8, 'roberta.encoder.layer.2.attention.self.value': 8 },
      alpha_pattern: { 'roberta.encoder.layer.2.attention.self.query': 32, 'roberta.encoder.layer.2.attention.self.value': 32 },
      target_modules: ['query', 'value'],
      layers_to_transform: [1, 2, 3],
      layers_pattern: 'layer',
      lora_dropout: 0.1,
      use_rslora: false,
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
      modules_to_save: ['classifier', 'regression'],
    });
    const t = parseSafetensors(files['adapter_model.safetensors']).tensors;
    expect(t.get('base_model.model.roberta.encoder.layer.2.attention.self.query.lora_A.weight')!.shape).toEqual([8, 128]);
    expect(t.get('base_model.model.roberta.encoder.layer.2.attention.self.query.lora_B.weight')!.shape).toEqual([128, 8]);
    expect(t.has('base_model.model.roberta.encoder.layer.0.attention.self.query.lora_A.weight')).toBe(false);
    expect(t.get('base_model.model.classifier.out_proj.weight')!.shape).toEqual([3, 128]);
    expect(t.get('base_model.model.regression.out.weight')!.shape).toEqual([1, 128]);
    expect([...t.keys()].filter((k) => k.includes('lora_')).length).toBe(3 * 2 * 2);
  });

  it('uses a regex for targets PEFT suffix matching would confuse, and no layers_to_transform when all layers are adapted', () => {
    const c = peftConfigFor(randomSnapshot({ ranks: [0, 2, 2, 2], targets: ['output.dense'] }));
    expect(typeof c.target_modules).toBe('string');
    const re = new RegExp(c.target_modules as string);
    expect(re.test('roberta.encoder.layer.1.output.dense')).toBe(true);
    expect(re.test('roberta.encoder.layer.1.attention.output.dense')).toBe(false);
    expect(re.test('roberta.encoder.layer.0.output.dense')).toBe(false);
    expect(c.layers_to_transform).toBeNull();
    const all = peftConfigFor(randomSnapshot({ ranks: [2, 2, 2, 2] }));
    expect(all.layers_to_transform).toBeNull();
    expect(all.rank_pattern).toEqual({});
  });

  it('refuses an all-zero adapter', () => {
    expect(() => exportPeftAdapter(randomSnapshot({ ranks: [0, 0, 0, 0] }))).toThrow(/rank 0 in every layer/);
  });
});

describe('PEFT import', () => {
  const snap = randomSnapshot({ ranks: [0, 4, 8, 2], alphas: [16, 8, 32, 8], seed: 3 });
  const files = peftFiles(snap);

  it('round-trips a snapshot exactly (zip and folder)', () => {
    for (const input of [exportPeftAdapter(snap), files]) {
      const r = importPeftAdapter(input, expected);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.snapshot.ranks).toEqual(snap.ranks);
      expect(r.snapshot.alphas.filter((_, i) => snap.ranks[i] > 0)).toEqual([8, 32, 8]);
      expect(r.snapshot.targets).toEqual(snap.targets);
      expect(r.snapshot.classNames).toEqual(snap.classNames);
      expect(r.snapshot.rslora).toBe(false);
      for (const [k, v] of Object.entries(snap.lora)) {
        expect(r.snapshot.lora[k].A.data).toEqual(v.A.data);
        expect(r.snapshot.lora[k].B.shape).toEqual(v.B.shape);
      }
      expect(Object.keys(r.snapshot.heads).sort()).toEqual(Object.keys(snap.heads).sort());
    }
  });

  it('accepts a zip with the files inside a folder and the legacy model alias', () => {
    const z = zipSync({ 'my-adapter/adapter_config.json': files['adapter_config.json'], 'my-adapter/adapter_model.safetensors': files['adapter_model.safetensors'] });
    const snapLarge = { ...expected, baseModel: 'rank-lab/tiny-roberta' };
    expect(importPeftAdapter(z, snapLarge).ok).toBe(true);
    const cfg = dec(files['adapter_config.json']);
    const aliased = { ...files, 'adapter_config.json': enc({ ...cfg, base_model_name_or_path: 'roberta-large' }) };
    expect(importPeftAdapter(aliased, { ...expected, baseModel: 'FacebookAI/roberta-large' }).ok).toBe(true);
  });

  const cfg = dec(files['adapter_config.json']);
  const tensors = parseSafetensors(files['adapter_model.safetensors']).tensors;
  const without = (k: string) => writeSafetensors(new Map([...tensors].filter(([n]) => n !== k)));
  const withExtra = (k: string, shape: number[]) => writeSafetensors(new Map([...tensors, [k, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]]));
  const reshaped = (k: string, shape: number[]) =>
    writeSafetensors(new Map([...tensors].map(([n, t]) => [n, n === k ? { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) } : t])));
  const bad: Array<[string, Record<string, Uint8Array> | Uint8Array, RegExp]> = [
    ['not a zip', new Uint8Array([1, 2, 3, 4, 5]), /not a zip/],
    ['missing config', { 'adapter_model.safetensors': files['adapter_model.safetensors'] }, /adapter_config\.json is missing/],
    ['missing weights', { 'adapter_config.json': files['adapter_config.json'] }, /adapter_model\.safetensors is missing/],
    ['pickle only', { 'adapter_config.json': files['adapter_config.json'], 'adapter_model.bin': new Uint8Array(10) }, /adapter_model\.bin/],
    ['other base model', { ...files, 'adapter_config.json': enc({ ...cfg, base_model_name_or_path: 'FacebookAI/roberta-base' }) }, /trained on "FacebookAI\/roberta-base" but the loaded model is "rank-lab\/tiny-roberta"/],
    ['not LoRA', { ...files, 'adapter_config.json': enc({ ...cfg, peft_type: 'IA3' }) }, /only LORA/],
    ['bad json', { ...files, 'adapter_config.json': new TextEncoder().encode('{"r": 4,') }, /not valid JSON/],
    ['bad r', { ...files, 'adapter_config.json': enc({ ...cfg, r: 'four' }) }, /r must be a positive integer/],
    ['bias trained', { ...files, 'adapter_config.json': enc({ ...cfg, bias: 'all' }) }, /bias is "all"; only adapters with bias "none"/],
    ['rank mismatch with config', { ...files, 'adapter_config.json': enc({ ...cfg, rank_pattern: {} }) }, /gives roberta\.encoder\.layer\.\d\.attention\.self\.query rank 2, but its weights have rank [48]/],
    ['missing lora_B', { ...files, 'adapter_model.safetensors': without('base_model.model.roberta.encoder.layer.2.attention.self.value.lora_B.weight') }, /layer\.2\.attention\.self\.value\.lora_B\.weight" is missing/],
    ['missing one target in a layer', { ...files, 'adapter_model.safetensors': writeSafetensors(new Map([...tensors].filter(([n]) => !n.includes('layer.3.attention.self.value')))) }, /layer 3 .* missing attention\.self\.value/],
    ['wrong hidden size', { ...files, 'adapter_model.safetensors': reshaped('base_model.model.roberta.encoder.layer.1.attention.self.query.lora_A.weight', [4, 64]) }, /lora_A has shape \[4,64\] but the loaded model needs \[r, 128\]/],
    ['layer out of range', { ...files, 'adapter_model.safetensors': withExtra('base_model.model.roberta.encoder.layer.7.attention.self.query.lora_A.weight', [4, 128]) }, /layer 7 but the loaded model has 4 layers/],
    ['unknown tensor', { ...files, 'adapter_model.safetensors': withExtra('base_model.model.roberta.embeddings.word_embeddings.lora_embedding_A', [4, 10]) }, /cannot place: "base_model\.model\.roberta\.embeddings/],
    ['head missing bias', { ...files, 'adapter_model.safetensors': without('base_model.model.classifier.out_proj.bias') }, /classifier\.out_proj\.bias" is missing/],
    ['corrupt safetensors', { ...files, 'adapter_model.safetensors': files['adapter_model.safetensors'].slice(0, 100) }, /adapter_model\.safetensors: .*truncated|adapter_model\.safetensors:/],
    ['rank_pattern key written as a regex', { ...files, 'adapter_config.json': enc({ ...cfg, rank_pattern: { '(': 3 } }) }, /is a regular expression; Rank Lab reads keys as module paths/],
    ['lora_alpha 1e308', { ...files, 'adapter_config.json': enc({ ...cfg, lora_alpha: 1e308 }) }, /lora_alpha 1e\+308 is outside/],
    ['lora_alpha 0', { ...files, 'adapter_config.json': enc({ ...cfg, lora_alpha: 0 }) }, /lora_alpha 0 is outside/],
    ['alpha_pattern 1e308', { ...files, 'adapter_config.json': enc({ ...cfg, alpha_pattern: { 'encoder.layer.1.attention.self.query': 1e308, 'encoder.layer.1.attention.self.value': 1e308 } }) }, /alpha_pattern gives .*layer\.1.* lora_alpha 1e\+308/],
    ['tensor named constructor', { ...files, 'adapter_model.safetensors': withExtra('base_model.model.constructor', [1]) }, /cannot place: "base_model\.model\.constructor"/],
    ['tensor named __proto__', { ...files, 'adapter_model.safetensors': withExtra('base_model.model.__proto__', [1]) }, /cannot place: "base_model\.model\.__proto__"/],
    ['no heads', { ...files, 'adapter_model.safetensors': writeSafetensors(new Map([...tensors].filter(([n]) => n.includes('lora_')))) }, /no task head/],
  ];
  it.each(bad)('%s → clear error', (_n, input, msg) => {
    const r = importPeftAdapter(input, expected);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(msg);
  });

  it('matches rank_pattern keys as module paths or their endings (PEFT-style suffixes)', () => {
    // Layer 1 has rank 4 and layer 3 rank 2 while the config's r is the most common rank: written as endings.
    const rp: Record<string, number> = {};
    for (const [k, v] of Object.entries(cfg.rank_pattern as Record<string, number>)) rp[k.replace(/^roberta\./, '')] = v;
    expect(Object.keys(rp).length).toBeGreaterThan(0);
    expect(importPeftAdapter({ ...files, 'adapter_config.json': enc({ ...cfg, rank_pattern: rp }) }, expected).ok).toBe(true);
    // A key that is only part of a path segment must not match ("self.query" ≠ "elf.query").
    const partial = Object.fromEntries(Object.entries(rp).map(([k, v]) => [k.slice(1), v]));
    expect(importPeftAdapter({ ...files, 'adapter_config.json': enc({ ...cfg, rank_pattern: partial }) }, expected).ok).toBe(false);
  });

  it('refuses a catastrophic-backtracking pattern key at once instead of compiling it', () => {
    const t0 = performance.now();
    const r = importPeftAdapter({ ...files, 'adapter_config.json': enc({ ...cfg, rank_pattern: { '(.*.*.*.*.*.*)*z': 3 } }) }, expected);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/is a regular expression/);
  });

  it('refuses a zip bomb from its declared sizes, before inflating anything', () => {
    // A real zip whose directory claims 1.9 GB for each of four weight files (the archive itself is tiny).
    const entries: Record<string, Uint8Array> = { 'adapter_config.json': files['adapter_config.json'] };
    for (const d of ['a', 'b', 'c', 'd']) entries[`${d}/adapter_model.safetensors`] = new Uint8Array(64);
    const zip = zipSync(entries, { level: 0 });
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const huge = 1_900_000_000;
    for (let i = 0; i + 4 <= zip.length; i++) {
      const sig = view.getUint32(i, true);
      const nameLen = (o: number) => view.getUint16(i + o, true);
      if (sig === 0x04034b50 && new TextDecoder().decode(zip.subarray(i + 30, i + 30 + nameLen(26))).endsWith('.safetensors')) view.setUint32(i + 22, huge, true);
      if (sig === 0x02014b50 && new TextDecoder().decode(zip.subarray(i + 46, i + 46 + nameLen(28))).endsWith('.safetensors')) view.setUint32(i + 24, huge, true);
    }
    const t0 = performance.now();
    const r = importPeftAdapter(zip, expected);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/declares 1,900,000,000 bytes unpacked, more than any adapter for this model can hold/);
  });

  it('warns but accepts a config without a base model name', () => {
    const r = importPeftAdapter({ ...files, 'adapter_config.json': enc({ ...cfg, base_model_name_or_path: null }) }, expected);
    expect(r.ok && r.warnings[0]).toMatch(/does not name its base model/);
  });
});
