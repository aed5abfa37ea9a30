/** Liveness and readiness probes. */
import { z } from 'zod';
import { AdminReason, ModelReasonCode, ModelStatus } from './admin.ts';

export const Live = z.object({ status: z.string() });
export type Live = z.infer<typeof Live>;

export const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.boolean(),
  engine: z.object({ device: z.string(), models: z.array(ModelStatus) }).nullable(),
  queue: z.object({ depth: z.int(), capacity: z.int() }),
  /** Every model version in the registry: ready (loaded, checked, warmed up) or unavailable with the reason. */
  models: z.array(
    z.object({
      task: z.string(),
      name: z.string(),
      version: z.string(),
      default: z.boolean(),
      state: z.enum(['ready', 'unavailable']),
      reason_code: ModelReasonCode.optional(),
      reason: AdminReason.optional(),
    }),
  ),
});
export type Ready = z.infer<typeof Ready>;
