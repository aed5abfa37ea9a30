/** What the routes and background jobs share: one object, built once in buildApp from the services (services.ts). */
import type { JobQueue } from './queue/types.ts';
import type { Services } from './services.ts';
import type { Idempotency } from './idempotency.ts';
import type { WebhookOutbox } from './webhooks/outbox.ts';

export type ServiceContext = Pick<Services, 'config' | 'db' | 'users' | 'scans' | 'sessions' | 'throttle' | 'images' | 'analyzer' | 'clock' | 'cache'> & {
  /** Where scans are queued: in-process, or BullMQ in distributed mode. */
  queue: JobQueue;
  /** Reload the model registry without downtime (the local pool, or every worker in distributed mode). */
  reloadModels: (() => Promise<unknown>) | null;
  /** Idempotency-Key claims and replays (idempotency.ts). */
  idempotency: Idempotency;
  /** The webhook outbox and delivery log; null without SKINSIGHT_WEBHOOK_URL. */
  webhooks: WebhookOutbox | null;
};
