/**
 * Browser-only backend registration for the training worker. WebGPU is created once per worker and
 * reused (SwiftShader misbehaves when devices are destroyed and recreated); wasm is the no-GPU fallback,
 * multi-threaded (threaded-SIMD build, one thread per logical core) when the page is cross-origin isolated.
 */
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs';
import { softwareRenderer, type AdapterFacts, type BackendInfo, type BackendName, type BackendProbe } from '../src/core/train/backend';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Threads for the wasm backend: every logical core by default (tfjs keeps at most 8 thread workers). */
let wasmThreads = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));

/** Threads for the wasm backend; only before it is first initialised in this worker (tfjs reads it once). */
export function setWasmThreads(n: number): void {
  wasmThreads = Math.max(1, Math.min(8, Math.round(n)));
}

// tfjs-backend-wasm caps its thread pool at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads
// per core), which leaves a 2-vCPU machine with one thread. The cap is read once, while the module
// instantiates, so the wrapped factory reports 2 × the wanted threads for exactly that moment.
const wasmFactory = tf.findBackendFactory('wasm');
if (wasmFactory) {
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    const nav = self.navigator as Navigator & { hardwareConcurrency: number };
    setThreadsCount(wasmThreads);
    Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * wasmThreads, configurable: true });
    try {
      return await wasmFactory();
    } finally {
      delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
    }
  }, 2);
}

type AdapterLike = {
  limits: Record<string, number>;
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?(): Promise<Record<string, unknown>>;
};
type GPUish = { requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null> };

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** What the adapter tfjs uses (it asks for 'high-performance') says about itself; tfjs keeps only vendor/architecture. */
async function adapterFacts(): Promise<AdapterFacts | undefined> {
  const gpu = (navigator as unknown as { gpu?: GPUish }).gpu;
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return undefined;
  const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo().catch(() => undefined) : undefined) ?? {};
  const fallback = adapter.isFallbackAdapter ?? info.isFallbackAdapter;
  return {
    isFallbackAdapter: typeof fallback === 'boolean' ? fallback : undefined,
    vendor: str(info.vendor),
    architecture: str(info.architecture),
    device: str(info.device),
    description: str(info.description),
    type: str(info.type),
  };
}

export const browserProbe: BackendProbe = {
  async precheck(name: BackendName) {
    if (name === 'webgpu') {
      const gpu = (navigator as unknown as { gpu?: GPUish }).gpu;
      if (!gpu) return 'this browser does not expose WebGPU (navigator.gpu is missing)';
      const adapter = await gpu.requestAdapter().catch(() => null);
      if (!adapter) return 'the browser found no WebGPU adapter (GPU blocklisted or disabled)';
    }
    if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') return 'OffscreenCanvas is not available in workers';
    return undefined;
  },
  wasmThreads: () => getThreadsCount(),
  async gpuInfo(): Promise<BackendInfo['gpu']> {
    const backend = tf.backend() as unknown as { device?: { limits: Record<string, number> }; adapterInfo?: Record<string, string> };
    const limits = backend.device?.limits;
    const facts = await adapterFacts();
    const tfInfo = backend.adapterInfo ?? {};
    const vendor = facts?.vendor ?? tfInfo.vendor;
    const architecture = facts?.architecture ?? tfInfo.architecture;
    const software = softwareRenderer({ ...facts, vendor, architecture });
    return {
      description: [vendor, architecture, facts?.description ?? tfInfo.description].filter(Boolean).join(' ') || 'WebGPU adapter',
      maxBufferSize: limits?.maxBufferSize ?? 0,
      maxStorageBufferBindingSize: limits?.maxStorageBufferBindingSize ?? 0,
      ...(software ? { software } : {}),
    };
  },
};
