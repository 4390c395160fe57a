/**
 * Browser-only backend registration for the training worker. WebGPU is created once per worker and
 * reused (SwiftShader misbehaves when devices are destroyed and recreated); wasm is the no-GPU fallback.
 */
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
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
