/**
 * A loaded model, ready to train: files from any source (embedded / hub / folder, one code path), the
 * tfjs encoder built on the current backend, its tokenizer, and the summary the UI shows.
 */
import { loadModelFiles, type LoadOptions, type ModelSource } from '../model/load';
import { parseSafetensors } from '../model/safetensors';
import { parseRobertaConfig, type RobertaConfig } from '../model/config';
import { buildModel, type RobertaModel } from '../model/roberta';
import { TextTokenizer } from '../model/tokenizer';
import { summarizeArchitecture, fitsGpuLimits, type ArchitectureSummary, type FitReport, type GpuLimits } from '../model/architecture';

export interface ModelInfo {
  id: string;
  summary: ArchitectureSummary;
  fit?: FitReport;
  fromCache: string[];
  warnings: string[];
  sizes: Record<string, number>;
}

export interface ModelSession {
  info: ModelInfo;
  config: RobertaConfig;
  model: RobertaModel;
  tokenizer: TextTokenizer;
  dispose(): void;
}

export async function openModel(source: ModelSource, opts: LoadOptions & { gpuLimits?: GpuLimits } = {}): Promise<ModelSession> {
  const files = await loadModelFiles(source, opts);
  const summary = summarizeArchitecture(files.config, files.weightsHeader);
  const fit = opts.gpuLimits && opts.gpuLimits.maxBufferSize > 0 ? fitsGpuLimits(summary, opts.gpuLimits) : undefined;
  if (fit && !fit.ok) throw new Error(`This model does not fit this GPU: ${fit.reasons.join(' ')}`);
  const config = parseRobertaConfig(files.config);
  // Decode only the encoder's tensors (skip lm_head, pooler, classifiers) to halve peak memory on big models.
  const { tensors } = parseSafetensors(files.weights, (n) => !/^(lm_head|classifier|pooler|roberta\.pooler)\b/.test(n));
  const model = buildModel({ ...config, name: files.id }, tensors, {
    maxBufferBytes: opts.gpuLimits?.maxStorageBufferBindingSize ? Math.min(opts.gpuLimits.maxStorageBufferBindingSize, 128 * 2 ** 20) : undefined,
  });
  const tokenizer = TextTokenizer.fromJSON(files.tokenizerJson, files.tokenizerConfig);
  return {
    info: { id: files.id, summary, fit, fromCache: files.fromCache, warnings: files.warnings, sizes: files.sizes },
    config,
    model,
    tokenizer,
    dispose: () => model.dispose(),
  };
}
