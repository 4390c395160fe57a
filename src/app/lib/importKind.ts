/**
 * Which importer a picked file is for (History page → Import results): a Rank Lab run file (one JSON
 * object), the Ray Tune results (JSON lines, a header line first), or neither — then say what the file
 * looks like and what was expected, instead of letting the Ray Tune reader fail on "line 1 is not valid JSON".
 */
export type ImportKind = { kind: 'run-file' } | { kind: 'ray-tune' } | { kind: 'wrong'; error: string };

const EXPECTED =
  'Import reads a run file (Results page → "Run file", run.json: one JSON object with "format": "rank-lab-run") or the results.jsonl written by the generated Ray Tune script (JSON lines, a header line first).';

function parses(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export function classifyImport(raw: string): ImportKind {
  const text = raw.replace(/^\uFEFF/, '');
  if (text.trim() === '') return { kind: 'wrong', error: `The file is empty. ${EXPECTED}` };
  const whole = parses(text);
  if (whole.ok) {
    const v = whole.value;
    if (Array.isArray(v)) {
      const trials = v.length > 0 && v.every((t) => typeof t === 'object' && t !== null && 'config' in t && 'ranks' in t);
      return {
        kind: 'wrong',
        error: trials
          ? `This is a list of ${v.length} trial${v.length === 1 ? '' : 's'} (the "Trials JSON" export): it holds no model or settings, so it cannot be shown as results. ${EXPECTED}`
          : `This file is a JSON array, not a Rank Lab run file or Ray Tune results. ${EXPECTED}`,
      };
    }
    if (typeof v !== 'object' || v === null) return { kind: 'wrong', error: `This file holds a single JSON ${v === null ? 'null' : typeof v}, not a Rank Lab run file or Ray Tune results. ${EXPECTED}` };
    // A results file with only its header line is one object too.
    return (v as { kind?: unknown }).kind === 'header' ? { kind: 'ray-tune' } : { kind: 'run-file' };
  }
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  if (parses(firstLine).ok) return { kind: 'ray-tune' };
  // A damaged run file: its own reader says where the JSON breaks.
  if (/^\s*\{/.test(text)) return { kind: 'run-file' };
  return { kind: 'wrong', error: `This file is not JSON (${whole.error}). ${EXPECTED}` };
}
