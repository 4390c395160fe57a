/**
 * The user's GPU memory cap (GiB; WebGPU cannot tell how much memory the GPU has), shared by the Model and
 * Search pages and kept in localStorage so it survives reloads. The text is kept as typed; `bytes` is
 * undefined when there is no cap or the text is invalid (then `error` says why).
 */
import { parseMemoryCap } from '../../core/model/memoryFit';

const KEY = 'rank-lab.memoryCapGiB';
/** A cap most browser GPUs (integrated or laptop) can meet; the user sets their own. */
const DEFAULT_GIB = '4';

function stored(): string {
  try {
    return localStorage.getItem(KEY) ?? DEFAULT_GIB;
  } catch {
    return DEFAULT_GIB; // storage blocked (privacy mode): the default, not persisted
  }
}

class MemoryCap {
  text = $state(stored());
  readonly parsed = $derived(parseMemoryCap(this.text));
  readonly bytes = $derived('bytes' in this.parsed ? this.parsed.bytes : undefined);
  readonly error = $derived('error' in this.parsed ? this.parsed.error : undefined);

  set(text: string): void {
    this.text = text;
    try {
      localStorage.setItem(KEY, text);
    } catch {
      /* storage blocked: the cap holds for this page only */
    }
  }
}

export const memoryCap = new MemoryCap();
