/**
 * The analysis pipeline, stage by stage (each with its own timing):
 *   decode → detect → landmarks → regions → models → measures → result.
 * Everything here runs on the calling thread; `pool.ts` puts engines on worker threads.
 */
import { SkinsightError } from './errors.ts';
import type { Mask, RgbImage } from './image.ts';
import { decodeImage, type DecodeOptions, type DecodedImage } from './decode/decode.ts';
import type { FaceDetection } from './face/blazeface.ts';
import type { FaceDetector } from './face/detector.ts';
import { confirmFaces, type FindOptions } from './face/find.ts';
import type { FaceMesh } from './face/facemesh.ts';
import { cropRoi, type Roi } from './face/geometry.ts';
import { landmarkBox, locateLandmarks, type FaceLandmarks } from './face/landmarks.ts';
import { estimatePose } from './face/pose.ts';
import { MESH_POINTS } from './face/facemesh.ts';
import { buildFaceRegions, MEASURE_CROP, skinColorMask, type FaceRegions } from './region/skin-regions.ts';
import type { ModelRegistry } from './models/registry.ts';
import { modelId, TASK_CLASSES, type ModelTask } from './models/manifest.ts';
import { clipProbabilities, combinedConfidence, RELIABLE_MIN_QUALITY } from './models/calibration.ts';
import { acneDecision, acneRegionFields, regionPlanner, type RegionPlan } from './models/acne-regions.ts';
import type { Classifier, ClassifyOutput } from './models/classifier.ts';
import { measureCloseup, measureFace } from './measures/index.ts';
import { computeScores, summarise } from './scores/index.ts';
import {
  DISCLAIMER,
  RESULT_SCHEMA_VERSION,
  type AcneAnalysis,
  type AnalysisResult,
  type ConditionAnalysis,
  type Face,
} from './result/schema.ts';
import { createMask } from './image.ts';
import type { AnalysisWithShadow, ShadowPrediction } from './api.ts';
import type { Stage } from './stages.ts';

export interface PipelineParts {
  detector: FaceDetector;
  mesh: FaceMesh;
  registry: ModelRegistry;
  decode: DecodeOptions;
  /** Detector, mesh-confirmation and fallback thresholds (see face/find.ts). */
  find: FindOptions;
  /** Refine the chosen face's landmarks on ROIs re-fitted to them (face/landmarks.ts locateLandmarks). */
  refineLandmarks: boolean;
}

export interface PipelineOptions {
  closeup?: boolean;
  modelVersions?: Partial<Record<ModelTask, string>>;
  shadowVersions?: Partial<Record<ModelTask, string>>;
}

/** What the models and the measures look at, before any of them runs: a face, or a close-up. */
export type PreparedFace = PreparedFaceCrop | PreparedCloseup;

interface PreparedCommon {
  decoded: DecodedImage;
  /** The aligned square crop (MEASURE_CROP²) the models and measures read. */
  crop: RgbImage;
  timings: Partial<Record<Stage, number>>;
}

export interface PreparedFaceCrop extends PreparedCommon {
  mode: 'face';
  face: { detection: FaceDetection; landmarks: FaceLandmarks; count: number };
  regions: FaceRegions;
}

export interface PreparedCloseup extends PreparedCommon {
  mode: 'closeup';
  /** The skin-colored pixels of the crop: a close-up has no landmarks to draw regions from. */
  closeupSkin: Mask;
}

/** What the models ran to, before the measures: the live tasks and any shadow candidates. */
interface ModelStage {
  acne: ModelOutcome<AcneAnalysis>;
  condition: ModelOutcome<ConditionAnalysis>;
  shadow: ShadowPrediction[];
}

class Stopwatch {
  readonly timings: Partial<Record<Stage, number>> = {};
  private last = performance.now();
  private readonly start = this.last;
  lap(stage: Stage): void {
    const now = performance.now();
    this.timings[stage] = round2(now - this.last);
    this.last = now;
  }
  total(): number {
    return round2(performance.now() - this.start);
  }
}

/** Decode, find the face and cut the aligned crop with its region masks. */
export async function prepare(parts: PipelineParts, bytes: Uint8Array, options: PipelineOptions = {}): Promise<PreparedFace> {
  const watch = new Stopwatch();
  const decoded = await decodeImage(bytes, parts.decode);
  watch.lap('decode');

  if (options.closeup) {
    const { width, height } = decoded.image;
    const side = Math.min(width, height);
    const roi: Roi = { cx: width / 2, cy: height / 2, size: side, angle: 0 };
    const crop = cropRoi(decoded.image, roi, MEASURE_CROP);
    const all = createMask(MEASURE_CROP, MEASURE_CROP);
    all.data.fill(1);
    const closeupSkin = skinColorMask(crop, all);
    watch.lap('regions');
    return { decoded, crop, mode: 'closeup', closeupSkin, timings: watch.timings };
  }

  const detections = await parts.detector.detect(decoded.image, parts.find.detectionThreshold);
  watch.lap('detect');

  // Confirm each detection with the mesh (or fall back to a whole-image mesh on a tight
  // crop), then refine the chosen face's landmarks on ROIs re-fitted to them, the last pass
  // mirror-averaged (landmarks.ts): stable under a flip, a border or a tighter crop, for two
  // more mesh executions (the second a batch of 2; ~4 ms a crop on ONNX Runtime). Fewer passes
  // were tried and lose that stability (bench/README.md). `refineLandmarks: false` skips it.
  const { chosen, count } = await confirmFaces(parts.mesh, decoded.image, detections, parts.find);
  if (!chosen) throw new SkinsightError('NO_FACE', 'No human face was found in the image.');
  if (parts.refineLandmarks) chosen.landmarks = await locateLandmarks(parts.mesh, decoded.image, chosen.detection, chosen.landmarks);
  watch.lap('landmarks');

  const regions = buildFaceRegions(decoded.image, chosen.landmarks.points);
  watch.lap('regions');
  return {
    decoded,
    crop: regions.measure.image,
    mode: 'face',
    face: { detection: chosen.detection, landmarks: chosen.landmarks, count },
    regions,
    timings: watch.timings,
  };
}

export async function analyzePrepared(parts: PipelineParts, prepared: PreparedFace, options: PipelineOptions = {}): Promise<AnalysisWithShadow> {
  const watch = new Stopwatch();
  const versions = options.modelVersions ?? {};
  const shadowWanted = Object.entries(options.shadowVersions ?? {}) as [ModelTask, string][];
  // Every model gets the measure crop itself and resizes it while building its input tensor
  // (classifier.ts); heads sharing one file share one run on this crop object, a new one per
  // analysis (the same pixels), so analysing a prepared face again runs the models again.
  const crop: RgbImage = { ...prepared.crop };
  // Acne per region pools the same forward (models/acne-regions.ts); both heads pass the same weights.
  const plan = regionPlanner(prepared.mode === 'face' ? { mode: 'face', masks: prepared.regions.measure.regions } : { mode: 'closeup', skin: prepared.closeupSkin });
  const [acne, condition, shadow] = await Promise.all([
    runAcne(parts.registry, crop, plan, versions.acne_binary),
    runCondition(parts.registry, crop, plan, versions.skin_condition),
    // Candidates run on the same crop, concurrently with the live models (batched with them when micro-batching is on).
    Promise.all(shadowWanted.map(([task, version]) => runShadow(parts.registry, crop, task, version))),
  ]);
  watch.lap('models');

  const measured = measure(prepared);
  watch.lap('measures');
  return assemble(prepared, { acne, condition, shadow }, measured, { ...prepared.timings, ...watch.timings });
}

type Measured = ReturnType<typeof measureFace>;

/** The face's pose, its size in the original photo and the measures on its regions (close-ups: on the skin mask). */
function measure(prepared: PreparedFace): Measured {
  if (prepared.mode === 'closeup') return measureCloseup(prepared.crop, prepared.closeupSkin);
  const { landmarks } = prepared.face;
  const box = landmarkBox(landmarks.points);
  const faceSizePx = Math.max(box.width, box.height) / prepared.decoded.scale;
  return measureFace(prepared.regions.measure, { faceSizePx, pose: estimatePose(landmarks.points) });
}

/** The face block of the wire result: box, landmarks and outlines in the original photo's coordinates. */
function faceBlocks(prepared: PreparedFaceCrop): { face: Face; regions: AnalysisResult['regions'] } {
  const { decoded } = prepared;
  const { detection, landmarks, count } = prepared.face;
  const pose = estimatePose(landmarks.points);
  const box = landmarkBox(landmarks.points);
  const w = decoded.image.width;
  const h = decoded.image.height;
  const lm: [number, number, number][] = [];
  for (let i = 0; i < MESH_POINTS; i++) {
    lm.push([round4(landmarks.points[i * 3] / w), round4(landmarks.points[i * 3 + 1] / h), round4(landmarks.points[i * 3 + 2] / w)]);
  }
  const face: Face = {
    box: {
      x: round1(box.x / decoded.scale),
      y: round1(box.y / decoded.scale),
      width: round1(box.width / decoded.scale),
      height: round1(box.height / decoded.scale),
    },
    landmarks: lm,
    detection_confidence: round4(detection.score),
    mesh_confidence: round4(landmarks.score),
    faces_detected: count,
    pose,
  };
  const regions: AnalysisResult['regions'] = {};
  for (const [name, outline] of Object.entries(prepared.regions.outlines)) {
    const mask = prepared.regions.measure.regions[name as keyof typeof prepared.regions.measure.regions];
    let area = 0;
    for (let i = 0; i < mask.data.length; i++) area += mask.data[i];
    regions[name] = { polygon: outline.map((p) => [round4(p.x / w), round4(p.y / h)] as [number, number]), area_px: area };
  }
  return { face, regions };
}

/** The one place engine data becomes the wire result (AnalysisResult), shadow predictions beside it. */
function assemble(prepared: PreparedFace, models: ModelStage, measured: Measured, timings: Partial<Record<Stage, number>>): AnalysisWithShadow {
  const { decoded } = prepared;
  const { acne, condition, shadow } = models;
  const { face: faceBlock, regions: regionsBlock } = prepared.mode === 'face' ? faceBlocks(prepared) : { face: null, regions: {} };
  const used = [acne, condition]
    .filter((m) => m.available)
    .map((m) => m.model!)
    .map((e) => ({ name: e.name, version: e.version, task: e.task, sha256: e.sha256 }));
  const quality = faceBlock ? measured.confidence * Math.min(1, faceBlock.mesh_confidence) : measured.confidence;
  const confidence = combinedConfidence(quality, [acne, condition].flatMap((m) => (m.probabilities ? [m.probabilities] : [])));
  for (const m of [acne, condition]) if (m.analysis.available) m.analysis.reliable = measured.confidence >= RELIABLE_MIN_QUALITY;

  const ml_analysis = {
    acne_analysis: acne.analysis,
    condition_analysis: condition.analysis,
    ml_models_used: used.map(modelId),
  };
  const scoreInputs = { ml: ml_analysis, cv: measured.cv, quality: measured.quality };
  const scores = computeScores(scoreInputs);
  const result: AnalysisWithShadow = {
    schema_version: RESULT_SCHEMA_VERSION,
    mode: prepared.mode,
    image: { width: decoded.originalWidth, height: decoded.originalHeight, format: decoded.format },
    ml_analysis,
    cv_analysis: measured.cv,
    scores,
    summary: summarise(scores, scoreInputs),
    face: faceBlock,
    regions: regionsBlock,
    quality: measured.quality,
    confidence: round4(confidence),
    models: used,
    timings_ms: timings as Record<string, number>,
    generated_at: new Date().toISOString(),
    disclaimer: DISCLAIMER,
  };
  if (shadow.length > 0) result.shadow = shadow;
  return result;
}

async function runShadow(registry: ModelRegistry, crop: RgbImage, task: ModelTask, version: string): Promise<ShadowPrediction> {
  const m = registry.forTask(task, version);
  if (!('classifier' in m)) return { task, name: task, version, label: null, probabilities: {}, reason: m.reason };
  const p = clipProbabilities((await m.classifier.classify([crop]))[0]);
  const classes = TASK_CLASSES[task];
  const probabilities = Object.fromEntries(classes.map((c, i) => [c, round4(p[i])]));
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  // Binary tasks use the model's threshold, as the live prediction does.
  const label = task === 'acne_binary' ? (p[1] >= m.entry.threshold ? 'acne' : 'no_acne') : classes[best];
  return { task, name: m.entry.name, version: m.entry.version, label, probabilities };
}

interface ModelOutcome<T> {
  available: boolean;
  analysis: T;
  model?: { name: string; version: string; task: string; sha256: string };
  /** The reported (calibrated, clipped) probabilities, for the result's confidence. */
  probabilities?: Float32Array;
}

/** One forward: whole-crop probabilities, and the plan's rows when the model has a region input. */
async function classifyWithPlan(classifier: Classifier, crop: RgbImage, plan: (grid: number) => RegionPlan): Promise<ClassifyOutput & { plan: RegionPlan | null }> {
  const grid = classifier.regionGrid;
  if (grid === null) return { probabilities: (await classifier.classify([crop]))[0], regionLogits: null, plan: null };
  const used = plan(grid);
  return { ...(await classifier.classifyRegions(crop, used.weights)), plan: used };
}

async function runAcne(registry: ModelRegistry, crop: RgbImage, plan: (grid: number) => RegionPlan, version?: string): Promise<ModelOutcome<AcneAnalysis>> {
  const m = registry.forTask('acne_binary', version);
  if (!('classifier' in m)) return { available: false, analysis: { available: false, reason: m.reason } };
  const out = await classifyWithPlan(m.classifier, crop, plan);
  const p = clipProbabilities(out.probabilities);
  const [noAcne, acne] = [p[0], p[1]];
  const support = m.classifier.regionSupport;
  const regions = acneRegionFields(m.entry, out.plan, out.regionLogits, 'reason' in support ? support.reason : undefined);
  // Detected when the face passes its threshold or any region passes the region threshold (acne-regions.ts).
  const { detected, confidence } = acneDecision({ acne, no_acne: noAcne }, m.entry.threshold, regions);
  return {
    available: true,
    model: m.entry,
    analysis: {
      available: true,
      detected,
      // the probability behind the answer: the face's, or the strongest region's when only a region decided it
      confidence: round4(confidence),
      label: detected ? 'acne' : 'no_acne',
      probabilities: { no_acne: round4(noAcne), acne: round4(acne) },
      threshold: m.entry.threshold,
      ...regions,
      reliable: true, // set from image quality once the measures ran
      model: { name: m.entry.name, version: m.entry.version },
    },
    probabilities: p,
  };
}

async function runCondition(registry: ModelRegistry, crop: RgbImage, plan: (grid: number) => RegionPlan, version?: string): Promise<ModelOutcome<ConditionAnalysis>> {
  const m = registry.forTask('skin_condition', version);
  if (!('classifier' in m)) return { available: false, analysis: { available: false, reason: m.reason } };
  // the same weights as the acne head, so a shared file runs once (its region rows are not reported)
  const p = clipProbabilities((await classifyWithPlan(m.classifier, crop, plan)).probabilities);
  const classes = TASK_CLASSES.skin_condition;
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  const probabilities = Object.fromEntries(classes.map((c, i) => [c, round4(p[i])])) as Extract<ConditionAnalysis, { available: true }>['probabilities'];
  return {
    available: true,
    model: m.entry,
    analysis: {
      available: true,
      condition: classes[best] as Extract<ConditionAnalysis, { available: true }>['condition'],
      confidence: round4(p[best]),
      probabilities,
      reliable: true, // set from image quality once the measures ran
      model: { name: m.entry.name, version: m.entry.version },
    },
    probabilities: p,
  };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const round2 = (v: number) => Math.round(v * 100) / 100;
const round4 = (v: number) => Math.round(v * 10000) / 10000;
