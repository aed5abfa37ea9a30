/** Liveness and readiness probes. */
import { z } from 'zod';
import { ModelStatus } from './admin.ts';

export const Live = z.object({ status: z.string() });
export type Live = z.infer<typeof Live>;

export const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.boolean(),
  engine: z.object({ device: z.string(), models: z.array(ModelStatus) }).nullable(),
  queue: z.object({ depth: z.int(), capacity: z.int() }),
});
export type Ready = z.infer<typeof Ready>;
