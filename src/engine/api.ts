/**
 * The engine's public surface. The CLI, the HTTP service and the queue workers all
 * depend on this interface only, never on the stages behind it.
 */
import type { AnalysisResult } from './result/schema.ts';
import type { ModelTask } from './models/manifest.ts';
import type { AnalysisText, ResultTextOptions } from './result/text.ts';

export interface EngineOptions {
  /** Folder holding `manifest.json` and the ONNX skin models. Default: the repo's `models/`. */
  modelsDir?: string;
  /** Minimum BlazeFace score for a face (default 0.7). */
  detectionThreshold?: number;
  /** Refine the landmarks on ROIs re-fitted to them, the last pass mirror-averaged (default true; false saves 2 FaceMesh executions (3 crops), and the landmarks then move by up to ~10 % of the eye distance under a flip). */
  refineLandmarks?: boolean;
  /** Images with more pixels than this are refused before decoding (default 40 megapixels). */
  maxPixels?: number;
  /** ONNX Runtime threads per session (default 1: parallelism comes from worker threads). */
  intraOpThreads?: number;
  /** Pin model versions, e.g. `{acne_binary: '2.0.0'}`; default: the manifest's default entries. */
  modelVersions?: Partial<Record<ModelTask, string>>;
  /**
   * Which registry entries get an ONNX session: 'serving' (default) only the one per task that
   * serves unpinned analyses (the pinned or default version), 'all' every listed version, so that
   * analyses can pin any of them (A/B splits, shadow runs, `models list`). Each session holds tens
   * of MB, so the CLI and the library load only what they serve.
   */
  loadVersions?: 'serving' | 'all';
  /** Logger with pino's shape; silent by default. */
  logger?: EngineLogger;
  /**
   * Micro-batching: classifier calls arriving within this many ms (0..5) on one engine run as one
   * ONNX batch. 0 (default) runs each call at once.
   */
  batchWindowMs?: number;
  /** Told the size of every micro-batch (not cloneable: the pool forwards it from its threads). */
  onBatch?: (size: number) => void;
  /** 'auto' (default): CUDA when its ONNX Runtime provider is installed, else CPU; 'cpu' forces CPU. */
  device?: 'auto' | 'cpu';
}

export interface AnalyzeOptions {
  /** Treat the whole image as one skin region (a close-up of a spot); face-based measures are not applicable. */
  closeup?: boolean;
  /** Per-request model versions (A/B tests); falls back to the engine's choice. */
  modelVersions?: Partial<Record<ModelTask, string>>;
  /**
   * Shadow mode: also run these candidate versions on the same crop. Their predictions come back
   * in `shadow` beside the result (see ShadowPrediction), never inside the public result.
   */
  shadowVersions?: Partial<Record<ModelTask, string>>;
}

/** A candidate model's prediction in shadow mode; the service stores it and strips it from responses. */
export interface ShadowPrediction {
  task: ModelTask;
  name: string;
  version: string;
  /** Predicted label (acne_binary: acne | no_acne; skin_condition: the condition), or null if unavailable. */
  label: string | null;
  probabilities: Record<string, number>;
  reason?: string;
}

/** What `analyze` resolves to when shadow versions were asked for. */
export type AnalysisWithShadow = AnalysisResult & { shadow?: ShadowPrediction[] };

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

/** One manifest entry and whether it loaded (Triton-style readiness per model version). */
export interface RegistryEntryStatus {
  task: ModelTask;
  name: string;
  version: string;
  /** Serves requests that pin no version. */
  default: boolean;
  state: 'ready' | 'unavailable';
  reason?: string;
  precision: string;
  model_card: string | null;
  /** The card's headline numbers (held-out test set), as the manifest records them. */
  metrics: Record<string, unknown>;
}

export interface EngineInfo {
  device: 'cpu' | 'cuda';
  models: ModelStatus[];
  /** Every version in the registry with its state (absent from engines older than issue #16). */
  registry?: RegistryEntryStatus[];
  faceModels: { name: string; version: string; runtime: string }[];
  loadMs: number;
}

export interface Analyzer {
  /**
   * Bytes of a JPEG, PNG, WebP or AVIF file in, one result out (with `shadow` beside it when
   * shadow versions were asked for). Throws SkinsightError with a code.
   */
  analyze(bytes: Uint8Array, options?: AnalyzeOptions): Promise<AnalysisWithShadow>;
  /**
   * The same analysis as JSON text (result/text.ts), written on the thread that analysed: an
   * engine pool has it, so its caller's event loop neither rebuilds the result object nor
   * stringifies it. Optional: a caller falls back to resultText(await analyze(…)).
   */
  analyzeText?(bytes: Uint8Array, options?: AnalyzeOptions, text?: ResultTextOptions): Promise<AnalysisText>;
  info(): EngineInfo;
  close(): Promise<void>;
}

// The light runtime half of the public surface (no native modules, no model loading): what the
// service, the CLI and the queue use without starting ONNX Runtime. `index.ts` adds the engine.
export { ERROR_CODES, SkinsightError, isSkinsightError, isErrorCode, toErrorInfo, type ErrorCode } from './errors.ts';
export * from './result/schema.ts';
export { resultText, splitGeometryOf, type AnalysisText, type ResultTextOptions } from './result/text.ts';
export { MANIFEST_FILE, MODEL_TASKS, type ModelTask } from './models/manifest.ts';
export { sniffImageFormat, type ImageFormat } from './decode/sniff.ts';
export { stripImageMetadata } from './decode/metadata.ts';
export { minimalDetectableChange } from './scores/uncertainty.ts';
export { STAGES, type Stage } from './stages.ts';
