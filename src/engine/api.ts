/**
 * The engine's public surface. The CLI, the HTTP service and the queue workers all
 * depend on this interface only, never on the stages behind it.
 */
import type { AnalysisResult } from './result/schema.ts';
import type { ModelTask } from './models/manifest.ts';

export interface EngineOptions {
  /** Folder holding `manifest.json` and the ONNX skin models. Default: the repo's `models/`. */
  modelsDir?: string;
  /** Minimum BlazeFace score for a face (default 0.7). */
  detectionThreshold?: number;
  /** Images with more pixels than this are refused before decoding (default 40 megapixels). */
  maxPixels?: number;
  /** ONNX Runtime threads per session (default 1: parallelism comes from worker threads). */
  intraOpThreads?: number;
  /** Pin model versions, e.g. `{acne_binary: '2.0.0'}`; default: the manifest's default entries. */
  modelVersions?: Partial<Record<ModelTask, string>>;
  /** Logger with pino's shape; silent by default. */
  logger?: EngineLogger;
}

export interface AnalyzeOptions {
  /** Treat the whole image as one skin region (a close-up of a spot); face-based measures are not applicable. */
  closeup?: boolean;
  /** Per-request model versions (A/B tests); falls back to the engine's choice. */
  modelVersions?: Partial<Record<ModelTask, string>>;
}

export interface EngineLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface ModelStatus {
  task: ModelTask;
  name: string;
  version: string;
  available: boolean;
  reason?: string;
}

export interface EngineInfo {
  device: 'cpu' | 'cuda';
  models: ModelStatus[];
  faceModels: { name: string; version: string; runtime: string }[];
  loadMs: number;
}

export interface Analyzer {
  /** Bytes of a JPEG, PNG, WebP or AVIF file in, one result out. Throws SkinsightError with a code. */
  analyze(bytes: Uint8Array, options?: AnalyzeOptions): Promise<AnalysisResult>;
  info(): EngineInfo;
  close(): Promise<void>;
}
