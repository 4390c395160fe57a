import { describe, expect, it } from 'vitest';
import { describeBackend, softwareRenderer } from './backend';

describe('softwareRenderer', () => {
  it('recognises software WebGPU adapters by name, fallback flag or CPU type', () => {
    // What headless Chromium with --enable-unsafe-webgpu reports.
    expect(softwareRenderer({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader Device (Subzero)' })).toBe('SwiftShader');
    expect(softwareRenderer({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('llvmpipe');
    expect(softwareRenderer({ description: 'Microsoft Basic Render Driver' })).toBe('Microsoft Basic Render Driver');
    expect(softwareRenderer({ vendor: 'x', isFallbackAdapter: true })).toBe('software');
    expect(softwareRenderer({ vendor: 'x', type: 'CPU' })).toBe('software');
  });
  it('leaves hardware GPUs alone', () => {
    expect(softwareRenderer({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false, type: 'discrete GPU' })).toBeUndefined();
    expect(softwareRenderer({ vendor: 'apple', architecture: 'metal-3' })).toBeUndefined();
    expect(softwareRenderer(undefined)).toBeUndefined();
  });
});

describe('describeBackend', () => {
  const gpu = { description: 'google swiftshader', maxBufferSize: 1, maxStorageBufferBindingSize: 1 };
  it('says so when WebGPU is a software fallback, instead of claiming a GPU', () => {
    expect(describeBackend('webgpu', 'auto', [], { ...gpu, software: 'SwiftShader' })).toBe(
      'WebGPU runs on a software fallback (SwiftShader) on the CPU, not on a GPU: training is slow. A browser with hardware GPU acceleration is much faster.',
    );
    expect(describeBackend('webgpu', 'auto', [], { ...gpu, software: 'software' })).toMatch(/^WebGPU runs on a software fallback on the CPU/);
    expect(describeBackend('webgpu', 'auto', [], gpu)).toBe('Training runs on your GPU through WebGPU.');
  });
  it('explains a fallback to another backend', () => {
    expect(describeBackend('wasm', 'auto', [{ backend: 'webgpu', reason: 'no adapter' }])).toMatch(/^WebGPU is not available \(webgpu: no adapter\), so training falls back to wasm/);
  });
});
