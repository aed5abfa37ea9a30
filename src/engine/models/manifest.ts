/**
 * The model registry's manifest: `models/manifest.json` beside the ONNX files.
 * One entry per model version; the engine picks, per task, the entry marked `default`
 * (or the version an option names). Validated once at load.
 */
import { z } from 'zod';

export const MODEL_TASKS = ['acne_binary', 'skin_condition'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

export const TASK_CLASSES: Record<ModelTask, readonly string[]> = {
  acne_binary: ['no_acne', 'acne'],
  skin_condition: ['normal', 'acne', 'rosacea', 'eczema', 'pigmentation'],
};

export const ModelInputSpec = z.object({
  /** Square side in pixels the model takes. */
  size: z.number().int().min(16).max(1024).default(224),
  layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
  /** How the engine's face crop is resized to `size`. */
  resize: z.enum(['bilinear']).default('bilinear'),
  /** What the model sees: the aligned face crop (close-ups: the whole image, centre square). */
  crop: z.enum(['face']).default('face'),
  /** Per-channel mean and std on 0..1 RGB values; ImageNet's by default. */
  mean: z.tuple([z.number(), z.number(), z.number()]).default([0.485, 0.456, 0.406]),
  std: z.tuple([z.number(), z.number(), z.number()]).default([0.229, 0.224, 0.225]),
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
