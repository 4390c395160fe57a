/**
 * Worker behind bench.html: runs the PyTorch reference check and the training-step benchmark on a chosen
 * backend, so the e2e suite and `npm run bench:train` measure the real browser backends.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { browserProbe, setWasmThreads } from './backends';
import { initBackend, type BackendInfo, type BackendName } from '../src/core/train/backend';
import { runReferenceCheck, type ReferenceFixture } from '../src/core/diagnostics/referenceCheck';
import { benchStep, type BenchCase } from '../src/core/diagnostics/bench';
import { parseSafetensors } from '../src/core/model/safetensors';
import { checkFusedKernels } from '../src/core/model/fusedCheck';
import { measureStepMemory, probeEstimate, type ProbeShape } from '../src/core/diagnostics/memoryProbe';
import { hasFused, LAYER_NORM, setFusedKernels } from '../src/core/model/fusedKernels';

const base = `${import.meta.env.BASE_URL}models/tiny-roberta/`;

let backendInfo: BackendInfo | undefined;

const api = {
  /** `threads` (wasm): only honoured by the first wasm initialisation in this worker. */
  async init(backend: BackendName, threads?: number) {
    if (threads) setWasmThreads(threads);
    const info = await initBackend(backend, browserProbe);
    backendInfo = info;
    if (info.backend !== backend) throw new Error(`asked for ${backend} but got ${info.backend}: ${info.message}`);
    return info;
  },
  /** Whether this worker may share memory (what the threaded wasm build needs). */
  isolated(): boolean {
    return self.crossOriginIsolated;
  },
  async referenceCheck(fixture: ReferenceFixture) {
    const config = await (await fetch(base + 'config.json')).json();
    const { tensors } = parseSafetensors(new Uint8Array(await (await fetch(base + 'model.safetensors')).arrayBuffer()));
    const before = tf.memory().numTensors;
    const res = await runReferenceCheck(fixture, config, tensors);
    return { ...res, backend: tf.getBackend(), tensorsLeaked: tf.memory().numTensors - before };
  },
  /** The fused kernels against the composite ops on random inputs (forward and backward). */
  fusedCheck() {
    return checkFusedKernels();
  },
  /** Peak tensor bytes of one LoRA step of a small random-weight shape, beside the memory model's figures. */
  async memoryProbe(shape: ProbeShape) {
    const measured = await measureStepMemory(shape);
    return { ...measured, backend: tf.getBackend(), model: probeEstimate(shape, hasFused(LAYER_NORM) ? 'fused' : 'composite') };
  },
  /** `fused: false` runs the composite ops where fused kernels exist (the before/after comparison). */
  async bench(c: BenchCase, steps: number, batch?: number, seqLen?: number, fused = true) {
    setFusedKernels(fused);
    try {
      const { kernelsByName: _k, ...r } = await benchStep(c, { steps, batch, seqLen });
      // Whether the fused kernels ran: only where the backend has them (webgpu) and they were not switched off.
      const gpu = backendInfo?.gpu;
      return {
        ...r,
        fused: hasFused(LAYER_NORM),
        ...(backendInfo?.threads ? { threads: backendInfo.threads } : {}),
        // Which adapter WebGPU ran on: a real-GPU run (bench/gpu.sh) must not silently report SwiftShader.
        ...(gpu ? { adapter: gpu.description, softwareAdapter: !!gpu.software } : {}),
      };
    } finally {
      setFusedKernels(true);
    }
  },
};
export type BenchApi = typeof api;
Comlink.expose(api);
