/** Public surface of the sharing/export module (see each file for the formats). */
export {
  SHARE_SCHEMA_VERSION,
  LIMITS,
  shareDocSchema,
  trialSchema,
  datasetSchema,
  settingsSchema,
  modelSchema,
  TRIAL_STATUSES,
  configName,
  layerRanks,
  pickBest,
  toPlainText,
  formatIssues,
  formatPath,
  type ShareDoc,
  type ShareTrial,
  type ShareSettings,
  type ShareModel,
  type DatasetFingerprint,
  type TrialStatus,
} from './schema';
export { encodeShareLink, decodeShareLink, roundSig, SHARE_PREFIX, MAX_LINK_CHARS, MAX_INFLATED_BYTES, TARGET_LINK_CHARS, type DecodeResult } from './shareLink';
export {
  exportPeftAdapter,
  importPeftAdapter,
  peftFiles,
  peftConfigFor,
  peftTensorsFor,
  HEAD_EXPORT_NAMES,
  type PeftAdapterConfig,
  type PeftExportOptions,
  type PeftExpected,
  type PeftImportResult,
} from './peft';
export { trialsToCsv, trialsToJson } from './trialsExport';
export { exportRunFile, importRunFile, type RunFile, type RunData, type RunExportOptions, type RunImportResult } from './runFile';
export { generateRayTuneScript, importRayTuneResults, feasibleGroupConfigs, type RayTuneScriptOptions, type RayImportResult } from './rayTune';
export { datasetFingerprint, labelStats, sha256Hex, type LabelColumns } from './fingerprint';
export { loraParamCount, targetDims } from './params';
export { trialFromEvalRecord } from './fromSearch';
