// Exposes the bench worker to Playwright (bench.html only; the lab page exposes nothing on window).
import * as Comlink from 'comlink';
import type { BenchApi } from '../workers/bench.worker';

const worker = new Worker(new URL('../workers/bench.worker.ts', import.meta.url), { type: 'module' });
(window as unknown as { rankLabBench: Comlink.Remote<BenchApi> }).rankLabBench = Comlink.wrap<BenchApi>(worker);
