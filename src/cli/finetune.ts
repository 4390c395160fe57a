/**
 * Does the model learn? LoRA fine-tunes from the command line (Node, no browser), one per training seed,
 * with the app's own data reading, split, presets and trainer, plus a TF-IDF baseline on the same split:
 *   npm run finetune -- --data FILE [--seeds 1,2,3] [--model embedded|random|FOLDER] [--check] [--json] ...
 * Prints one line per seed (JSON with --json), the baseline's line and a summary against LEARNING_BARS
 * (src/core/run/finetuneEval.ts). Bad input: one-line error, exit 2; --check: exit 1 when a seed misses a bar.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TARGET_MODULES, TARGET_SHORT, type TargetModule } from '../core/model/adapter';
import { PRESETS, type RunSettings } from '../core/run/settings';
import {
  finetuneEval,
  finetuneRunSettings,
  LEARNING_BARS,
  missedBars,
  prepareFinetuneData,
  type FinetuneData,
  type FinetuneFigures,
} from '../core/run/finetuneEval';
import { parseArgs as parseOptions, UsageError } from './args';
import { loadNodeModel, ROOT, type LoadedModel } from './nodeModel';
import { readData } from './nodeData';


const PYTHON = '/usr/bin/python3';
const BASELINE_SCRIPT = join(ROOT, 'scripts', 'baseline_tfidf.py');
const PRESET_NAMES = Object.keys(PRESETS) as (keyof typeof PRESETS)[];
/** Defaults of this tool where they differ from the preset (a small, quick, comparable fine-tune). */
const DEFAULTS = { ranks: '8', targets: 'query,value', maxLength: 64 } as const;

const HELP = `usage: npm run finetune -- --data FILE [options]
  --data FILE         CSV/TSV/JSONL with a text column and a score and/or label column (read like the app does)
  --seeds LIST        training seeds, e.g. 1,2,3 (1); every seed trains on the same split
  --model M           embedded (public/models/tiny-roberta) | random (same config, random weights:
                      the control) | FOLDER with config.json, tokenizer.json, model.safetensors (embedded)
  --preset NAME       ${PRESET_NAMES.join(' | ')}: learning rate, batch size, warm-up, weight decay, clipping,
                      LoRA alpha/dropout, loss weights, validation share (browser)
  --ranks R           LoRA rank of every layer, or one per layer: 8 or 8,8,4,4 (${DEFAULTS.ranks})
  --targets LIST      LoRA targets, e.g. query,value (${DEFAULTS.targets}); known: ${TARGET_MODULES.map((m) => TARGET_SHORT[m]).join(', ')}
  --epochs N          epochs (the preset's)
  --lr X              learning rate (the preset's)
  --batch-size N      batch size (the preset's)
  --max-length N      tokens per text incl. <s> and </s> (${DEFAULTS.maxLength})
  --rows N            use only the first N rows of the file
  --split-seed N      seed of the train/validation split, shared by all training seeds (0)
  --val-fraction X    validation share (the preset's, 0.1 for browser)
  --multitask         score data: also train the derived 5-class head (off: regression head only)
  --score-range A,B   declared score range (-1,1, as the app); 'none' accepts any number
  --drop-invalid      drop rows with problems (listed on stderr) instead of stopping
  --backend B         wasm | cpu (wasm; falls back to cpu with a note when wasm cannot start)
  --control           also train the random-weight control (--model random) with the same seeds and split, and
                      report whether it misses the bars (it should: a model that learns nothing does)
  --no-baseline       skip the scikit-learn TF-IDF baseline (${PYTHON} ${'scripts/baseline_tfidf.py'})
  --check             exit 1 when a seed misses a bar (or, with --control, the control clears them): R² ≥ ${LEARNING_BARS.minR2}, Pearson r ≥ ${LEARNING_BARS.minPearson},
                      prediction std ≥ ${LEARNING_BARS.minPredStdRatio}·target std (scores); accuracy ≥ majority + ${LEARNING_BARS.minAccuracyGain} (labels)
  --json              JSON lines: a config line, one per seed, the baseline's, a summary line
  --quiet             no per-epoch progress on stderr`;

type Args = Map<string, string>;

const FLAGS = new Set(['json', 'help', 'check', 'multitask', 'drop-invalid', 'no-baseline', 'quiet', 'control']);
const VALUED = new Set([
  'data', 'seeds', 'model', 'preset', 'ranks', 'targets', 'epochs', 'lr', 'batch-size', 'max-length', 'rows', 'split-seed',
  'val-fraction', 'score-range', 'backend',
]);

function parseArgs(argv: string[]): Args {
  // Every option of this tool is given at most once: keep its single value.
  return new Map([...parseOptions(argv, { flags: FLAGS, valued: VALUED })].map(([name, values]) => [name, values[0]]));
}

function intArg(args: Args, name: string, min: number): number | undefined {
  const s = args.get(name);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${s}'`);
  return Number(s);
}

function numArg(args: Args, name: string, ok: (v: number) => boolean, what: string): number | undefined {
  const s = args.get(name);
  if (s === undefined) return undefined;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v) || !ok(v)) throw new UsageError(`--${name} must be ${what}, got '${s}'`);
  return v;
}

function intList(s: string, name: string): number[] {
  const parts = s.split(',').map((t) => t.trim());
  if (!parts.every((t) => /^\d+$/.test(t))) throw new UsageError(`--${name} must be a comma-separated list of integers ≥ 0, got '${s}'`);
  return parts.map(Number);
}

function parseTargets(s: string): TargetModule[] {
  const out = s.split(',').map((t) => {
    const name = t.trim();
    const full = TARGET_MODULES.find((m) => m === name || TARGET_SHORT[m] === name);
    if (!full) throw new UsageError(`unknown target '${name}' in --targets (known: ${TARGET_MODULES.map((m) => TARGET_SHORT[m]).join(', ')})`);
    return full;
  });
  return [...new Set(out)];
}

function parseScoreRange(s: string | undefined): [number, number] | null | undefined {
  if (s === undefined) return undefined;
  if (s === 'none') return null;
  const m = /^\s*([+-]?[\d.eE+-]+)\s*,\s*([+-]?[\d.eE+-]+)\s*$/.exec(s);
  const lo = m ? Number(m[1]) : NaN, hi = m ? Number(m[2]) : NaN;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new UsageError(`--score-range must be LOW,HIGH with LOW < HIGH, or none; got '${s}'`);
  return [lo, hi];
}

/** wasm (default) or cpu; a wasm that cannot start falls back to cpu with a note. Returns the backend in use. */
async function startBackend(wanted: string, note: (s: string) => void): Promise<string> {
  if (wanted === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('initialisation returned false');
      await tf.ready();
      return 'wasm';
    } catch (e) {
      note(`note: the wasm backend cannot start here (${(e as Error).message.split('\n')[0]}); using cpu (slower)`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/** Round for printing: 4 significant digits keep lines short and comparable. */
function r4(x: number | undefined): number | undefined {
  return x === undefined || !Number.isFinite(x) ? x : Number(x.toPrecision(4));
}

function figuresJson(modelName: string, f: FinetuneFigures): Record<string, unknown> {
  const o: Record<string, unknown> = { model: modelName, seed: f.seed };
  for (const k of ['mse', 'r2', 'pearson', 'predStd', 'targetStd', 'baselineMse', 'accuracy', 'f1', 'macroF1', 'majorityAccuracy'] as const) {
    if (f[k] !== undefined) o[k] = r4(f[k]);
  }
  o.status = f.status;
  if (f.reason) o.reason = f.reason;
  o.epochs = f.epochs;
  o.curve = f.curve.map(r4);
  o.trainRows = f.trainRows;
  o.valRows = f.valRows;
  o.seconds = Number(f.seconds.toFixed(1));
  o.tokensPerSec = Math.round(f.tokensPerSec);
  return o;
}

function fmt(x: number | undefined, d = 3): string {
  return x === undefined ? '–' : Number.isFinite(x) ? x.toFixed(d) : String(x);
}

function figuresText(label: string, f: Partial<FinetuneFigures>): string {
  const parts: string[] = [label];
  if (f.status && f.status !== 'completed') parts.push(`${f.status}: ${f.reason ?? ''}`);
  if (f.mse !== undefined)
    parts.push(`R² ${fmt(f.r2)}  r ${fmt(f.pearson)}  MSE ${fmt(f.mse, 4)} (train-mean ${fmt(f.baselineMse, 4)})  pred std ${fmt(f.predStd)} / target std ${fmt(f.targetStd)}`);
  if (f.accuracy !== undefined) parts.push(`accuracy ${fmt(f.accuracy)} (majority ${fmt(f.majorityAccuracy)})  F1 ${fmt(f.f1)}  macro F1 ${fmt(f.macroF1)}`);
  if (typeof f.seconds === 'number') parts.push(`${f.seconds.toFixed(1)} s${f.tokensPerSec ? `, ${Math.round(f.tokensPerSec)} tok/s` : ''}`);
  return parts.join('  |  ');
}

/** The scikit-learn TF-IDF baseline on exactly this split; undefined (with a note) when Python/sklearn are missing. */
function tfidfBaseline(data: FinetuneData, note: (s: string) => void): Record<string, unknown> | undefined {
  if (!existsSync(PYTHON)) {
    note(`note: ${PYTHON} not found; no TF-IDF baseline (apt-get install python3-sklearn)`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ranklab-finetune-'));
  try {
    const file = join(dir, 'split.json');
    const keep = (r: { text: string; score?: number; label?: string }) => ({
      text: r.text,
      ...(data.hasScore ? { score: r.score } : {}),
      ...(data.hasLabel ? { label: r.label } : {}),
    });
    writeFileSync(file, JSON.stringify({ train: data.train.map(keep), val: data.val.map(keep) }));
    const py = spawnSync(PYTHON, [BASELINE_SCRIPT, file], { encoding: 'utf8' });
    if (py.status !== 0) {
      const why = (py.stderr || py.error?.message || '').trim().split('\n').pop() ?? '';
      note(`note: no TF-IDF baseline (${why.includes('sklearn') ? 'scikit-learn is missing: apt-get install python3-sklearn' : why})`);
      return undefined;
    }
    const line = py.stdout.trim().split('\n').pop()!;
    const o = JSON.parse(line) as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) if (typeof v === 'number' && k !== 'seconds' && !k.endsWith('Rows')) o[k] = r4(v);
    return o;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[], out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const args = parseArgs(argv);
  if (args.has('help')) {
    out(HELP);
    return 0;
  }
  const file = args.get('data');
  if (!file) throw new UsageError('--data FILE is required (see --help)');
  const seeds = intList(args.get('seeds') ?? '1', 'seeds');
  if (new Set(seeds).size !== seeds.length) throw new UsageError(`--seeds lists a seed twice: '${args.get('seeds')}'`);
  const presetName = args.get('preset') ?? 'browser';
  if (!(PRESET_NAMES as string[]).includes(presetName)) throw new UsageError(`unknown --preset '${presetName}' (known: ${PRESET_NAMES.join(', ')})`);
  const preset: RunSettings = PRESETS[presetName as keyof typeof PRESETS].settings;
  const ranks = intList(args.get('ranks') ?? DEFAULTS.ranks, 'ranks');
  if (ranks.every((r) => r === 0)) throw new UsageError('--ranks: at least one rank must be above 0, or nothing is trained');
  const targets = parseTargets(args.get('targets') ?? DEFAULTS.targets);
  const epochs = intArg(args, 'epochs', 1);
  const batchSize = intArg(args, 'batch-size', 1);
  const maxLength = intArg(args, 'max-length', 8) ?? DEFAULTS.maxLength;
  const lr = numArg(args, 'lr', (v) => v > 0 && v < 1, 'a number between 0 and 1, e.g. 1e-3');
  const valFraction = numArg(args, 'val-fraction', (v) => v > 0 && v < 0.5, 'between 0 and 0.5');
  const maxRows = intArg(args, 'rows', 2);
  const splitSeed = intArg(args, 'split-seed', 0) ?? 0;
  const scoreRange = parseScoreRange(args.get('score-range'));
  const backendArg = args.get('backend') ?? 'wasm';
  if (backendArg !== 'wasm' && backendArg !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, got '${backendArg}'`);
  const modelSpec = args.get('model') ?? 'embedded';
  const json = args.has('json');
  const quiet = args.has('quiet');

  const data = await readData(file, scoreRange, args.has('drop-invalid'), maxRows, note);
  const s = finetuneRunSettings(preset, {
    ranks: ranks.length === 1 ? ranks[0] : ranks,
    targets,
    epochs,
    maxLength,
    lr,
    batchSize,
    valFraction,
    splitSeed,
    multitask: args.has('multitask'),
  });
  const backend = await startBackend(backendArg, note);
  const loaded = await loadNodeModel(modelSpec);
  try {
    const L = loaded.model.layers.length;
    if (ranks.length !== 1 && ranks.length !== L) throw new UsageError(`--ranks: give one rank or one per layer (${L}); got ${ranks.length}`);
    if (maxLength > loaded.model.config.maxPositions - 2) throw new UsageError(`--max-length must be at most ${loaded.model.config.maxPositions - 2} for this model`);
    const fd = prepareFinetuneData(data.rows, data.mapping, s, loaded.tokenizer);
    const config = {
      data: file, rows: data.rows.length, ...(data.dropped ? { dropped: data.dropped } : {}), task: data.mapping.task,
      train: fd.trial.train.length, val: fd.trial.val.length, splitSeed, model: loaded.id, backend,
      preset: presetName, ranks: ranks.length === 1 ? ranks[0] : ranks, targets: targets.map((t) => TARGET_SHORT[t]),
      epochs: s.epochs, lr: s.lr, batchSize: s.batchSize, maxLength: s.maxLength, multitask: s.multitask,
      classes: fd.trial.numClasses,
    };
    if (json) out(JSON.stringify({ config }));
    else
      out(
        `${loaded.id} on ${backend}: ${file}, ${config.rows} rows (${config.task}${data.dropped ? `, ${data.dropped} dropped` : ''}) → ${config.train} train / ${config.val} validation (split seed ${splitSeed}); ` +
          `LoRA r=${config.ranks} on ${config.targets.join(',')}, ${s.epochs} epochs, lr ${s.lr}, batch ${s.batchSize}, max length ${s.maxLength}` +
          (fd.trial.numClasses ? `, ${fd.trial.numClasses}-class head` : ''),
      );

    const trainSeeds = async (m: LoadedModel, name: string): Promise<FinetuneFigures[]> => {
      const results: FinetuneFigures[] = [];
      for (const seed of seeds) {
        const f = await finetuneEval(m.model, fd, s, seed, {
          onEpoch: quiet
            ? undefined
            : (e) => note(`  ${name} seed ${seed} epoch ${e.epoch}/${s.epochs}: train loss ${e.trainLoss.toFixed(4)}, validation ${Object.entries(e.val).map(([k, v]) => `${k} ${fmt(v, 4)}`).join(', ')} (${(e.ms / 1000).toFixed(1)} s)`),
        });
        results.push(f);
        out(json ? JSON.stringify(figuresJson(name, f)) : figuresText(`${name} seed ${seed}`, f));
      }
      return results;
    };
    const modelName = modelSpec === 'embedded' || modelSpec === 'random' ? modelSpec : loaded.id;
    const results = await trainSeeds(loaded, modelName);
    let control: FinetuneFigures[] | undefined;
    if (args.has('control')) {
      // Same tokenized split (the control shares the embedded tokenizer), same settings and seeds.
      const random = await loadNodeModel('random');
      try {
        control = await trainSeeds(random, 'random');
      } finally {
        random.model.dispose();
      }
    }

    const base = args.has('no-baseline') ? undefined : tfidfBaseline(fd, note);
    if (base) out(json ? JSON.stringify(base) : figuresText(String(base.model), base as Partial<FinetuneFigures>));

    const verdicts = results.map((f) => ({ seed: f.seed, misses: missedBars(f) }));
    const pass = verdicts.every((v) => v.misses.length === 0);
    const baseMisses = base ? missedBars(base as Parameters<typeof missedBars>[0]) : undefined;
    // The control "fails" when no seed of it clears every bar.
    const controlFails = control?.every((f) => missedBars(f).length > 0);
    if (json) {
      out(
        JSON.stringify({
          summary: { pass, bars: LEARNING_BARS, seeds: verdicts.map((v) => ({ seed: v.seed, pass: v.misses.length === 0, misses: v.misses })), ...(baseMisses ? { baselinePasses: baseMisses.length === 0 } : {}), ...(control ? { controlFails } : {}) },
        }),
      );
    } else {
      const per = verdicts.map((v) => `seed ${v.seed} ${v.misses.length ? `misses (${v.misses.join('; ')})` : 'passes'}`).join('; ');
      out(`summary: ${pass ? 'every seed clears the learning bars' : 'NOT every seed clears the learning bars'}: ${per}${baseMisses ? `; the TF-IDF baseline ${baseMisses.length ? 'misses them' : 'clears them'}` : ''}${control ? `; the random-weight control ${controlFails ? 'misses them' : 'clears them on some seed'}` : ''}`);
    }
    return args.has('check') && (!pass || controlFails === false) ? 1 : 0;
  } finally {
    loaded.model.dispose();
  }
}

main(process.argv.slice(2), (line) => process.stdout.write(line + '\n'), (line) => process.stderr.write(line + '\n')).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    process.stderr.write(`error: ${msg}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
