/**
 * The engine's options, validated once at the boundary (`createEngine`, `createEnginePool`),
 * as sharp validates its constructor options: every bad field is reported together as one
 * INVALID_OPTIONS error, before any model loads, instead of surfacing later as "every model
 * unavailable". The documented type is `EngineOptions` in api.ts; this schema must accept it.
 */
import { z } from 'zod';
import type { EngineLogger, EngineOptions } from './api.ts';
import { SkinsightError } from './errors.ts';
import { MODEL_TASKS } from './models/manifest.ts';

const logger = z.custom<EngineLogger>(
  (v) => typeof v === 'object' && v !== null && ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
  'must have info, warn and error methods (pino\'s shape)',
);
const versions = z.partialRecord(z.enum(MODEL_TASKS), z.string().min(1));

export const EngineOptionsSchema = z.strictObject({
  modelsDir: z.string().min(1).optional(),
  detectionThreshold: z.number().gt(0).lt(1).optional(),
  refineLandmarks: z.boolean().optional(),
  maxPixels: z.number().int().positive().optional(),
  intraOpThreads: z.number().int().min(1).max(256).optional(),
  modelVersions: versions.optional(),
  loadVersions: z.enum(['serving', 'all']).optional(),
  logger: logger.optional(),
  batchWindowMs: z.number().min(0).max(5).optional(),
  device: z.enum(['auto', 'cpu']).optional(),
  onBatch: z.custom<(size: number) => void>((v) => typeof v === 'function', 'must be a function').optional(),
}) satisfies z.ZodType<EngineOptions>;

/** The options as given, or one INVALID_OPTIONS error naming every bad field. */
export function parseEngineOptions(options: unknown): EngineOptions {
  const parsed = EngineOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
  throw new SkinsightError('INVALID_OPTIONS', `Invalid engine options: ${problems.join('; ')}.`);
}
