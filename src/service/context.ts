/** What the routes and background jobs share: one object, built once in buildApp. */
import type { Analyzer } from '../engine/api.ts';
import type { ResultCache } from './cache.ts';
import type { ServiceConfig } from './config.ts';
import type { JobQueue } from './queue/types.ts';
import type { Db } from './storage/db.ts';
import type { Idempotency } from './idempotency.ts';
import type { ImageStore } from './storage/images.ts';
import type { WebhookOutbox } from './webhooks/outbox.ts';
import type { LoginThrottle } from './storage/login-throttle.ts';
import type { ScanRepo } from './storage/scans.ts';
import type { SessionRepo } from './storage/sessions.ts';
import type { UserRepo } from './storage/users.ts';

export interface ServiceContext {
  config: ServiceConfig;
  db: Db;
  users: UserRepo;
  scans: ScanRepo;
  sessions: SessionRepo;
  throttle: LoginThrottle;
  images: ImageStore;
  queue: JobQueue;
  analyzer: Analyzer;
  clock: () => Date;
  /** The result cache (null when SKINSIGHT_CACHE=off); entries are deleted with their scan or user. */
  cache: ResultCache | null;
  /** Reload the model registry without downtime (the local pool, or every worker in distributed mode). */
  reloadModels: (() => Promise<unknown>) | null;
  /** Idempotency-Key claims and replays (idempotency.ts). */
  idempotency: Idempotency;
  /** The webhook outbox and delivery log; null without SKINSIGHT_WEBHOOK_URL. */
  webhooks: WebhookOutbox | null;
}
