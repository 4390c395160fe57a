/**
 * Picks the fastest tfjs backend that actually works here, and says why the others were skipped, so the UI
 * can explain a fallback instead of failing. Backends must already be registered (the worker imports the
 * webgpu / wasm packages; Node tests only have `cpu`).
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendInfo {
  backend: BackendName;
  /** One sentence for the UI: which backend runs and, when it is not WebGPU, why. */
  message: string;
  skipped: { backend: BackendName; reason: string }[];
  /** WebGPU adapter facts when available (vendor/architecture and buffer limits). */
  gpu?: {
    description: string;
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    /** Set when the adapter is a software renderer on the CPU (e.g. "SwiftShader"); see softwareRenderer. */
    software?: string;
  };
  /** wasm only: threads tfjs-backend-wasm runs with (1 when the page is not cross-origin isolated). */
  threads?: number;
}

/** What a WebGPU adapter says about itself (GPUAdapter.isFallbackAdapter / GPUAdapterInfo fields). */
export interface AdapterFacts {
  isFallbackAdapter?: boolean;
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** Adapter type where a browser reports one ("discrete GPU", "integrated GPU", "CPU"). */
  type?: string;
}

const SOFTWARE_RENDERERS: [RegExp, string][] = [
  [/swiftshader/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/microsoft basic render/i, 'Microsoft Basic Render Driver'],
];

/**
 * The software renderer behind a WebGPU adapter: its name when one is recognised (SwiftShader, llvmpipe,
 * lavapipe, Microsoft Basic Render Driver), "software" for any other fallback / CPU-type adapter, or
 * undefined for a hardware GPU.
 */
export function softwareRenderer(a: AdapterFacts | undefined): string | undefined {
  if (!a) return undefined;
  const text = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
  for (const [re, name] of SOFTWARE_RENDERERS) if (re.test(text)) return name;
  if (a.isFallbackAdapter === true || /\bcpu\b/i.test(a.type ?? '')) return 'software';
  return undefined;
}

export interface BackendProbe {
  /** Why a backend cannot be used before even trying it (e.g. no navigator.gpu); undefined = try it. */
  precheck?(name: BackendName): Promise<string | undefined>;
  gpuInfo?(): Promise<BackendInfo['gpu']>;
  /** Threads of the initialised wasm backend. */
  wasmThreads?(): number;
}

export async function initBackend(preferred: BackendName | 'auto' = 'auto', probe: BackendProbe = {}): Promise<BackendInfo> {
  const order = preferred === 'auto' ? BACKEND_ORDER : [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    if (!tf.findBackendFactory(name)) {
      skipped.push({ backend: name, reason: 'not available in this build' });
      continue;
    }
    const pre = await probe.precheck?.(name);
    if (pre) {
      skipped.push({ backend: name, reason: pre });
      continue;
    }
    try {
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error('initialisation returned false');
      await tf.ready();
      // A tiny op proves the backend really computes (SwiftShader or a blocklisted GPU can fail here).
      const t = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1));
      const v = await t.data();
      t.dispose();
      if (v[0] !== 2 || v[1] !== 3) throw new Error('self-test computed wrong values');
      const gpu = name === 'webgpu' ? await probe.gpuInfo?.() : undefined;
      const threads = name === 'wasm' ? probe.wasmThreads?.() : undefined;
      return { backend: name, message: describeBackend(name, preferred, skipped, gpu), skipped, gpu, ...(threads ? { threads } : {}) };
    } catch (e) {
      skipped.push({ backend: name, reason: (e as Error).message || String(e) });
    }
  }
  throw new Error(`No tfjs backend works in this browser: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** The banner sentence: which backend runs, whether WebGPU is a software fallback, and why others were skipped. */
export function describeBackend(name: BackendName, preferred: BackendName | 'auto', skipped: BackendInfo['skipped'], gpu?: BackendInfo['gpu']): string {
  if (name === 'webgpu') {
    if (!gpu?.software) return 'Training runs on your GPU through WebGPU.';
    const which = gpu.software === 'software' ? '' : ` (${gpu.software})`;
    return `WebGPU runs on a software fallback${which} on the CPU, not on a GPU: training is slow. A browser with hardware GPU acceleration is much faster.`;
  }
  const why = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  const slower = name === 'cpu' ? 'much slower' : 'slower';
  if (preferred !== 'auto' && preferred === name) return `Running on ${name} as you chose (${slower} than WebGPU).`;
  return `WebGPU is not available (${why}), so training falls back to ${name}: it works, but ${slower}. Use Chrome or Edge 113+ (or Safari 18+) with WebGPU enabled for full speed.`;
}
