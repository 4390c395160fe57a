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
import type { BackendInfo, BackendName, BackendProbe } from '../src/core/train/backend';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

type GPUish = { requestAdapter(): Promise<{ limits: Record<string, number>; info?: Record<string, string> } | null> };

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
    const info = backend.adapterInfo ?? {};
    return {
      description: [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU adapter',
      maxBufferSize: limits?.maxBufferSize ?? 0,
      maxStorageBufferBindingSize: limits?.maxStorageBufferBindingSize ?? 0,
    };
  },
};
