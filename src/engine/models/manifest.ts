/**
 * The model registry's manifest: `models/manifest.json` beside the ONNX files.
 * One entry per model version; the engine picks, per task, the entry marked `default`
 * (or the version an option names). Validated once at load.
 */
import { z } from 'zod';
import { MODEL_SPEC } from './spec.ts';

/** The registry's file in a models folder (registry.ts reads DIR/manifest.json). */
export const MANIFEST_FILE = 'manifest.json';

export type ModelTask = keyof typeof MODEL_SPEC.tasks;
export const MODEL_TASKS = Object.keys(MODEL_SPEC.tasks) as [ModelTask, ...ModelTask[]];

/** Each task's classes in logit order (the model spec's). */
export const TASK_CLASSES: { readonly [T in ModelTask]: (typeof MODEL_SPEC.tasks)[T]['classes'] } = Object.fromEntries(
  MODEL_TASKS.map((task) => [task, MODEL_SPEC.tasks[task].classes]),
) as never;

const spec = MODEL_SPEC.input;
const rgb = z.tuple([z.number(), z.number(), z.number()]);

export const ModelInputSpec = z.object({
  /** Square side in pixels the model takes. */
  size: z.number().int().min(16).max(1024).default(spec.size),
  layout: z.enum(['NCHW', 'NHWC']).default(spec.layout),
  /** How the engine's face crop is resized to `size`: area averaging is what the engine does (see spec.ts). */
  resize: z.enum([spec.resize]).default(spec.resize),
  /** What the model sees: the aligned face crop (close-ups: the whole image, centre square). */
  crop: z.enum([spec.crop]).default(spec.crop),
  /** Per-channel mean and std on 0..1 RGB values; the model spec's by default. */
  mean: rgb.default([...spec.mean]),
  std: rgb.default([...spec.std]),
});
export type ModelInputSpec = z.infer<typeof ModelInputSpec>;

export const ModelEntry = z.object({
  name: z.string().min(1),
  /** Semantic version, e.g. 2.0.0. */
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][\w.]+)?$/),
  task: z.enum(MODEL_TASKS),
  /** ONNX file, relative to the manifest. Input `input` [N,3,H,W] float32; output `logits` [N,C]. */
  file: z.string().min(1),
  /**
   * The ONNX output holding this task's logits (default: the first output). Entries naming the
   * same file share one session and one forward per crop: one backbone, one head per task.
   */
  output: z.string().min(1).optional(),
  /**
   * Temperature scaling fitted on validation data (Guo et al. 2017): p = softmax(logits / T).
   * Absent: T = 1, the raw softmax.
   */
  calibration: z.object({
    method: z.literal('temperature'),
    temperature: z.number().positive(),
    fitted_on: z.string().optional(),
  }).optional(),
  /**
   * Region pooling in the same forward (models 3.0.1 on; training/backbone/net.py): the ONNX input
   * `input` [N,R,G] of pooling weights over the last feature map's G cells, and the output
   * `output` [N,R,C] of this task's logits per region. The "patch" a region's answer reads is
   * its cells at the model input: `grid` × `grid` cells of `cell_px` input pixels (documented here;
   * the engine reads G from the model and refuses the regions if they disagree). `threshold`: a
   * region at or above it is reported as detected (binary tasks), chosen on validation data
   * (training/region_threshold.py).
   * Absent: the model has no region input, `per_region` is null with a reason.
   */
  regions: z.object({
    input: z.string().min(1),
    output: z.string().min(1),
    grid: z.number().int().min(1).max(64),
    cell_px: z.number().positive(),
    /** The version whose heads and weights this file re-exports (training/export_regions.py): its whole-face outputs are the same. */
    from_version: z.string().optional(),
    /**
     * How far this file's whole-face logits may be from `from_version`'s (|Δ logit|): set when the file
     * stores some weights as float16 (skin_mnv2 3.1.2 on; training/backbone/fp16_store.py). Absent:
     * the same weights, within float rounding (1e-4, test/region-acne.test.ts).
     */
    from_logit_tolerance: z.number().positive().optional(),
    threshold: z.number().min(0).max(1).optional(),
    /** The same for close-up tiles (acne-regions.ts CLOSEUP_TILES), which pool more cells than a region. */
    tile_threshold: z.number().min(0).max(1).optional(),
    threshold_chosen_on: z.string().optional(),
    /**
     * Platt scaling of the region rows (binary tasks), fitted on validation data by
     * training/region_threshold.py: p = σ(a·z + b), z = logit(positive) − logit(negative) of the
     * row, raw (no temperature), with the image's label: "the probability that the face shows
     * the finding, judged from this region alone". `rows`: per face region; `tile`: one pair for
     * every close-up tile. Absent: the engine reports no region values (src/engine/models/acne-regions.ts).
     */
    calibration: z.object({
      method: z.literal('platt'),
      rows: z.record(z.string(), z.object({ a: z.number(), b: z.number() })).optional(),
      tile: z.object({ a: z.number(), b: z.number() }).optional(),
      fitted_on: z.string().optional(),
      meaning: z.string().optional(),
      /** Why a mode has no calibration (e.g. too few healthy validation images to make it honest): the engine's reason. */
      refused: z.object({ face: z.string().optional(), closeup: z.string().optional() }).optional(),
    }).optional(),
  }).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  classes: z.array(z.string()).min(2),
  input: ModelInputSpec.default(ModelInputSpec.parse({})),
  /** Probability of the positive class at or above which the finding is reported (binary tasks). */
  threshold: z.number().min(0).max(1).default(0.5),
  precision: z.enum(['fp32', 'int8']).default('fp32'),
  architecture: z.string().optional(),
  default: z.boolean().default(false),
  license: z.string().default('unknown'),
  training_data: z.string().default('unknown'),
  model_card: z.string().optional(),
  metrics: z.record(z.string(), z.unknown()).default({}),
});
export type ModelEntry = z.infer<typeof ModelEntry>;

export const Manifest = z.object({
  models: z.array(ModelEntry),
});
export type Manifest = z.infer<typeof Manifest>;

export function modelId(entry: { name: string; version: string }): string {
  return `${entry.name}@${entry.version}`;
}
