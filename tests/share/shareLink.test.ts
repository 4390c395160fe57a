import { describe, expect, it } from 'vitest';
import { deflateSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeShareLink, encodeShareLink, MAX_INFLATED_BYTES, MAX_LINK_CHARS, roundSig } from '../../src/core/share/shareLink';
import { toBase64Url, fromBase64Url } from '../../src/core/share/base64url';
import { toPlainText, type ShareDoc } from '../../src/core/share/schema';
import { sampleDoc } from './sampleDoc';
import { compareWithTrivial, compareWithUniform } from '../../src/core/run/verdict';

const link = (obj: unknown) => '#s=' + toBase64Url(deflateSync(new TextEncoder().encode(typeof obj === 'string' ? obj : JSON.stringify(obj))));
const wireOf = (l: string) => {
  const b = fromBase64Url(l.slice(3));
  if (typeof b === 'string') throw new Error(b);
  return JSON.parse(new TextDecoder().decode(inflate(b)));
};
import { inflateSync as inflate } from 'fflate';

const HTML = '<img src=x onerror=alert(1)>';
/** Fields whose domain is free text: they may come back with markup in them, as plain strings. */
const FREE_TEXT = [/^title$/, /^dataset\.classes\.names\[\d+\]$/];

function walk(x: unknown, path: string, visit: (path: string, v: unknown) => void) {
  visit(path, x);
  if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, path ? `${path}.${k}` : k, visit);
}

/** A decoded doc must be plain data: plain objects/arrays, strings, finite numbers, booleans, null. */
function assertPlainData(doc: unknown) {
  walk(doc, '', (p, v) => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') return expect(Number.isFinite(v), p).toBe(true);
    if (Array.isArray(v)) return;
    expect(typeof v, p).toBe('object');
    expect(Object.getPrototypeOf(v), p).toBe(Object.prototype);
  });
}

describe('share link round trip', () => {
  it('encodes a 64-trial run under 8 KB and decodes the same best config and metrics', () => {
    const doc = sampleDoc();
    const l = encodeShareLink(doc);
    const withCurves = encodeShareLink(sampleDoc({ curves: true }));
    const perLayer = encodeShareLink(sampleDoc({ groups: new Array(24).fill(1) }));
    const big = encodeShareLink(sampleDoc({ trials: 256 }), { targetChars: 1e9 });
    console.log(
      `share link sizes: 64 trials/3 groups ${l.length} chars; with curves ${withCurves.length}; ` +
        `64 trials/24 per-layer ranks ${perLayer.length}; 256 trials/3 groups ${big.length}`,
    );
    expect(l.startsWith('#s=')).toBe(true);
    expect(l.length).toBeLessThan(8192);
    expect(withCurves.length).toBeLessThan(8192);
    expect(perLayer.length).toBeLessThan(8192);
    const r = decodeShareLink('https://example.org/rank-lab/' + l);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.doc.best!.config).toBe(doc.best!.config);
    for (const [k, v] of Object.entries(doc.best!.metrics)) expect(Math.abs(r.doc.best!.metrics[k] - v) / Math.abs(v)).toBeLessThan(1e-5);
    expect(r.doc.trials).toHaveLength(64);
    r.doc.trials.forEach((t, i) => {
      expect(t.config).toBe(doc.trials[i].config);
      expect(t.params).toBe(doc.trials[i].params);
      expect(t.status).toBe(doc.trials[i].status);
      for (const [k, v] of Object.entries(doc.trials[i].metrics)) expect(Math.abs(t.metrics[k] - v) / Math.abs(v)).toBeLessThan(1e-5);
    });
    expect(r.doc.settings).toEqual(doc.settings);
    expect(r.doc.dataset.classes).toEqual(doc.dataset.classes);
    assertPlainData(r.doc);
  });

  it('keeps curves when they fit and drops them when the link would exceed the target', () => {
    const doc = sampleDoc({ curves: true });
    const kept = decodeShareLink(encodeShareLink(doc));
    expect(kept.ok && kept.doc.trials.every((t) => t.curve && t.curve.length === t.epochs)).toBe(true);
    const dropped = decodeShareLink(encodeShareLink(doc, { targetChars: 1000 }));
    expect(dropped.ok && dropped.doc.trials.every((t) => t.curve === undefined)).toBe(true);
  });

  it('rounds to 6 significant digits', () => {
    expect(roundSig(0.0186123456789)).toBe(0.0186123);
    expect(roundSig(-123456789)).toBe(-123457000);
    expect(roundSig(0)).toBe(0);
  });

  it('refuses to encode an invalid document, naming the field', () => {
    const doc = sampleDoc();
    doc.trials[2].metrics.mse = NaN;
    expect(() => encodeShareLink(doc)).toThrow(/trials\[2\]\.metrics\.mse/);
  });

  it('still decodes the committed version-1 link (format stability)', () => {
    const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/share/v1-link.json'), 'utf8'));
    const r = decodeShareLink(fx.link);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.doc.best!.config).toBe(fx.bestConfig);
      expect(r.doc.best!.metrics.mse).toBe(fx.bestMse);
      expect(r.doc.trials.length).toBe(fx.trials);
      // Made before the trivial baseline existed: it opens, and the page says the comparison is unknown.
      expect(r.doc.baseline).toBeUndefined();
      expect(compareWithTrivial(r.doc)!.kind).toBe('unknown');
    }
  });

  it('carries the trivial baseline (rounded like the metrics), so the shared view says the same sentences', () => {
    const doc: ShareDoc = {
      ...sampleDoc({ trials: 12 }),
      baseline: { metrics: { mse: 0.0612345678, r2: -0.00123456789, accuracy: 0.41, f1: 0.2384, f1_macro: 0.1169 }, mean: 0.0712345678, majority: { index: 3, name: 'positive' }, trainRows: 1564, valRows: 174 },
    };
    const r = decodeShareLink(encodeShareLink(doc));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.doc.baseline).toEqual({ ...doc.baseline, metrics: { ...doc.baseline!.metrics, mse: 0.0612346, r2: -0.00123457 }, mean: 0.0712346 });
    // The link rounds to 6 significant digits: the numbers move in the 7th digit, the sentences do not.
    expect(compareWithTrivial(r.doc)!.text).toBe(compareWithTrivial(doc)!.text);
    expect(compareWithUniform(r.doc).text).toBe(compareWithUniform(doc).text);
    expect(compareWithTrivial(r.doc)!.text).toMatch(/^The best trial beats the mean predictor: MSE 0\.0\d+ vs 0\.0612\.$/);
  });

  it('refuses a baseline that is not plain data of the expected shape', () => {
    const wire = wireOf(encodeShareLink(sampleDoc({ trials: 4 })));
    const bad = (baseline: unknown) => decodeShareLink(link({ ...wire, baseline }));
    expect(bad({ metrics: { mse: 0.1 }, trainRows: 1, valRows: 1 }).ok).toBe(true);
    expect(bad({ metrics: { mse: 0.1 }, trainRows: 1, valRows: 1, extra: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/baseline/) });
    expect(bad({ metrics: { mse: 0.1 }, trainRows: 1, valRows: 1, majority: { index: 0, name: 'a\u202eb' } })).toMatchObject({ ok: false, error: expect.stringMatching(/baseline\.majority\.name/) });
    expect(bad({ metrics: { mse: 'x' }, trainRows: 1, valRows: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/baseline\.metrics\.mse/) });
  });
});

describe('hostile share links', () => {
  const good = encodeShareLink(sampleDoc({ trials: 8 }));
  const goodWire = wireOf(good);

  const corpus: Array<[string, string, RegExp]> = [
    ['empty', '', /no shared results/],
    ['no payload', 'https://example.org/#x=1', /no shared results/],
    ['bad base64', '#s=abc$def', /not valid base64url/],
    ['impossible length', '#s=abcde', /cut off/],
    ['truncated', good.slice(0, Math.floor(good.length / 2)), /damaged|cut off/],
    ['oversized', '#s=' + 'A'.repeat(MAX_LINK_CHARS + 10), /refused|at most/],
    ['not deflate', '#s=' + toBase64Url(new TextEncoder().encode('hello world, plain')), /damaged/],
    ['not json', link('{not json'), /not valid JSON/],
    ['json array', link([1, 2, 3]), /not a Rank Lab results link/],
    ['wrong version', link({ ...goodWire, v: 2 }), /format version 2; this version of Rank Lab reads format version 1/],
    ['string version', link({ ...goodWire, v: '1' }), /format version unknown/],
    ['extra top-level key', link({ ...goodWire, evil: 1 }), /Unrecognized key.*evil/],
    ['extra settings key', link({ ...goodWire, settings: { ...goodWire.settings, onload: 'x' } }), /settings.*onload/],
    ['__proto__ key', link(JSON.stringify(goodWire).replace('{"v":1', '{"v":1,"__proto__":{"polluted":true}')), /forbidden key "__proto__"/],
    ['constructor key', link(JSON.stringify(goodWire).replace('"model":{', '"model":{"constructor":{"prototype":{"x":1}},')), /forbidden key "(constructor|prototype)"/],
    ['metric named __proto__', link({ ...goodWire, t: { ...goodWire.t, k: ['__proto__', ...goodWire.t.k.slice(1)] } }), /forbidden key|reserved|metric name/],
    ['metric named constructor', link(JSON.stringify(goodWire).replace('"k":["mse"', '"k":["constructor"')), /forbidden key|reserved/],
    ['NaN-ish number', link(JSON.stringify(goodWire).replace(/"rows":\d+/, '"rows":1e999')), /dataset\.rows/],
    ['negative params', link({ ...goodWire, t: { ...goodWire.t, r: goodWire.t.r.map((row: unknown[], i: number) => (i === 3 ? [row[0], -5, ...row.slice(2)] : row)) } }), /trials\[3\]\.params/],
    ['infinite metric', link(JSON.stringify(goodWire).replace(/\[\[(\d+,\d+,\d+)\],(\d+),\[[-\d.e]+/, '[[$1],$2,[1e400')), /trials\[0\]\.metrics\.mse/],
    ['bad status', link({ ...goodWire, t: { ...goodWire.t, r: goodWire.t.r.map((row: unknown[]) => [row[0], row[1], row[2], 99, row[4], row[5]]) } }), /trials\[0\]\.status/],
    ['best out of range', link({ ...goodWire, b: 500 }), /best: refers to trial 500/],
    ['groups do not match layers', link({ ...goodWire, settings: { ...goodWire.settings, groups: [8, 8] } }), /settings\.groups/],
    ['long title', link({ ...goodWire, title: 'x'.repeat(5000) }), /title: must be at most 120/],
    ['bidi title', link({ ...goodWire, title: 'abc\u202Eevil' }), /title: contains control/],
    ['too many trials', link({ ...goodWire, t: { ...goodWire.t, r: new Array(3000).fill(goodWire.t.r[0]) } }), /more than the 2000/],
    ['nested arrays', link('{"v":1,"t":' + '['.repeat(5000) + ']'.repeat(5000) + '}'), /trials|JSON/],
  ];

  it.each(corpus)('%s is rejected with an explanation', (_name, l, msg) => {
    const r = decodeShareLink(l);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^This share link cannot be opened: /);
      expect(r.error).toMatch(msg);
      expect(r.error.length).toBeLessThan(800);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stops a deflate bomb at the inflation cap', () => {
    const bomb = deflateSync(new Uint8Array(60_000_000).fill(32), { level: 9 });
    const l = '#s=' + toBase64Url(bomb);
    expect(l.length).toBeLessThan(MAX_LINK_CHARS);
    const t0 = performance.now();
    const r = decodeShareLink(l);
    const ms = performance.now() - t0;
    console.log(`deflate bomb: ${l.length} chars would inflate to 60 MB; rejected after ${ms.toFixed(0)} ms (cap ${MAX_INFLATED_BYTES} bytes)`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/decompression bomb/);
  });

  it('puts an HTML/script payload into every string field: each is rejected or comes back as the same plain string', () => {
    const paths: Array<(string | number)[]> = [];
    const collect = (x: unknown, p: (string | number)[]) => {
      if (typeof x === 'string') paths.push(p);
      else if (Array.isArray(x)) x.forEach((v, i) => collect(v, [...p, i]));
      else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) collect(v, [...p, k]);
    };
    // Give the wire a best object (not an index) and a title so those string fields exist too.
    const base = { ...goodWire, b: { config: '8@16@32', ranks: [8, 16, 32], metrics: { mse: 0.02 } } };
    collect(base, []);
    // Also every number slot in the first trial row and the status, which a hostile link could turn into strings.
    base.t.r[0].forEach((_: unknown, i: number) => paths.push(['t', 'r', 0, i]));
    expect(paths.length).toBeGreaterThan(20);
    let accepted = 0;
    for (const p of paths) {
      for (const payload of [HTML, '<script>alert(1)</script>', 'javascript:alert(1)', '"><svg onload=alert(1)>']) {
        const w = structuredClone(base);
        let o: any = w;
        for (const k of p.slice(0, -1)) o = o[k];
        o[p[p.length - 1]] = payload;
        const r = decodeShareLink(link(w));
        if (!r.ok) {
          expect(r.error).toMatch(/^This share link cannot be opened: /);
          continue;
        }
        accepted++;
        assertPlainData(r.doc);
        walk(r.doc, '', (fp, v) => {
          if (typeof v === 'string' && /[<>"]|javascript:/.test(v)) {
            expect(FREE_TEXT.some((re) => re.test(fp)), `markup accepted in non-free-text field ${fp}`).toBe(true);
            expect(v).toBe(payload);
          }
        });
      }
    }
    // Free-text fields accept any printable text (a class may be called "<0.5"); everything else rejects markup.
    expect(accepted).toBe(4 * 6); // title + 5 class names, 4 payloads each
  });

  it('toPlainText neutralises control/bidi characters and caps length but keeps text as text', () => {
    expect(toPlainText(HTML)).toBe(HTML);
    expect(toPlainText('a\u202Eb\u0000c')).toBe('a\uFFFDb\uFFFDc');
    expect(toPlainText('x'.repeat(500), 10)).toHaveLength(10);
    expect(toPlainText({ toString: () => '<b>' })).toBe('');
    expect(toPlainText(3.5)).toBe('3.5');
  });
});

// Keep the type import used for readers of this file.
export type _Doc = ShareDoc;
