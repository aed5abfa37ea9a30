/**
 * createServices: the one place that builds what `serve` and `skinsight worker` run on, from a
 * validated config: the database (migrated), the repositories, the image store, the result
 * cache, the analyzer (a local engine pool, or the remote workers in distributed mode), the scan
 * processor and, for the API, the job queue. Both roots size the engine pool and the jobs in
 * flight by the same rule (sizing.ts). Callers may supply parts (tests: an engine, a clock, a
 * cache); close() closes only what was built here.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Analyzer } from '../engine/api.ts';
import type { EnginePool } from '../engine/pool.ts';
import { createCache, type ResultCache } from './cache.ts';
import type { ServiceConfig } from './config.ts';
import { metrics } from './metrics.ts';
import { ScanOutcomes } from './outcomes.ts';
import { createScanProcessor } from './processor.ts';
import { BullMqJobQueue } from './queue/bullmq.ts';
import { MemoryJobQueue } from './queue/memory.ts';
import type { JobProcessor, JobQueue } from './queue/types.ts';
import { sizing, type Sizing } from './sizing.ts';
import { createDb, type Db } from './storage/db.ts';
import { createImageStore } from './storage/factory.ts';
import type { ImageStore } from './storage/images.ts';
import { LoginThrottle } from './storage/login-throttle.ts';
import { migrateToLatest } from './storage/migrations.ts';
import { ScanRepo } from './storage/scans.ts';
import { SessionRepo } from './storage/sessions.ts';
import { UserRepo } from './storage/users.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';

/** api: the HTTP service (`serve`); worker: a `skinsight worker` process consuming the BullMQ queue. */
export type Role = 'api' | 'worker';

export interface ServiceParts {
  analyzer?: Analyzer;
  clock?: () => Date;
  db?: Db;
  images?: ImageStore;
  /** Replaces the configured result cache (null: none). */
  cache?: ResultCache | null;
}

export interface Services {
  role: Role;
  config: ServiceConfig;
  log: FastifyBaseLogger;
  clock: () => Date;
  db: Db;
  users: UserRepo;
  scans: ScanRepo;
  sessions: SessionRepo;
  throttle: LoginThrottle;
  images: ImageStore;
  /** The result cache (null when SKINSIGHT_CACHE=off); entries are deleted with their scan or user. */
  cache: ResultCache | null;
  analyzer: Analyzer;
  /** The engine pool built here (null when the analyzer was supplied, or is remote). */
  pool: EnginePool | null;
  /** Engine threads and jobs in flight of a process that analyses (sizing.ts). */
  sizing: Sizing;
  /** Runs one scan job; null where this process does not analyse (the API in distributed mode). */
  processScan: JobProcessor | null;
  /** Where the API queues scans (null in a worker, whose BullMQ consumers live in worker.ts). */
  queue: JobQueue | null;
  /**
   * The webhook outbox (null without SKINSIGHT_WEBHOOK_URL): every process that finishes scans
   * records events in it; only API processes start its sender (app.ts).
   */
  webhooks: WebhookOutbox | null;
  /** Where every scan's outcome is saved and announced (processor, recovery, sweeper, worker). */
  outcomes: ScanOutcomes;
  close(): Promise<void>;
}

export interface ServicesOptions extends ServiceParts {
  role: Role;
  log: FastifyBaseLogger;
}

export async function createServices(config: ServiceConfig, options: ServicesOptions): Promise<Services> {
  const { role, log } = options;
  const distributed = config.queue.kind === 'bullmq';
  if (role === 'worker' && (!distributed || !config.redis)) throw new Error('skinsight worker needs SKINSIGHT_QUEUE=bullmq and SKINSIGHT_REDIS_URL');
  const clock = options.clock ?? (() => new Date());
  const size = sizing(config.queue);
  const db = options.db ?? (await createDb(config.db, { onCheckpointError: (message) => log.warn({ message }, 'SQLite checkpoint') }));
  await migrateToLatest(db);
  const images = options.images ?? createImageStore(config, db);
  const scans = new ScanRepo(db);
  const cache =
    options.cache !== undefined ? options.cache : createCache(config.cache, config.redis, (err) => log.warn({ err: String(err) }, 'result cache unavailable; treated as a miss'));
  // The API in distributed mode analyses nothing itself: the workers' engines answer through Redis.
  const remote = role === 'api' && distributed;
  const pool = options.analyzer || remote ? null : await enginePool(config, size, log);
  const analyzer = options.analyzer ?? pool ?? (await remoteAnalyzer(config));

  const webhooks = config.webhook ? new WebhookOutbox(db, config.webhook, clock, log) : null;
  const outcomes = new ScanOutcomes(scans, webhooks, clock, log);
  const processScan = remote
    ? null
    : createScanProcessor({
        analyzer,
        scans,
        images,
        clock,
        log,
        cache,
        models: config.models,
        holdMs: config.debugHoldMs,
        storeLandmarks: config.retention.storeLandmarks,
        maxAttempts: config.queue.attempts,
        // A worker's job goes back to BullMQ (another worker takes it) instead of waiting for start-up recovery.
        throwWhenClosing: role === 'worker',
        outcomes,
      });
  let queue: JobQueue | null = null;
  if (role === 'api' && distributed) {
    queue = new BullMqJobQueue({
      url: config.redis!.url,
      prefix: config.redis!.prefix,
      capacity: config.queue.size,
      attempts: config.queue.attempts,
      scans,
      log,
      waitTimeoutMs: config.waitTimeoutMs,
      sweepIntervalMs: config.queue.sweepIntervalMs,
      clock,
      outcomes,
    });
  } else if (role === 'api') {
    queue = new MemoryJobQueue(processScan!, {
      capacity: config.queue.size,
      concurrency: size.jobConcurrency,
      onError: (err, job) => log.error({ err, scanId: job.scanId }, 'scan job crashed'),
    });
  }

  let closing: Promise<void> | undefined;
  return {
    role,
    config,
    log,
    clock,
    db,
    users: new UserRepo(db),
    scans,
    sessions: new SessionRepo(db),
    throttle: new LoginThrottle(db, config.jwt.secret),
    images,
    cache,
    analyzer,
    pool,
    sizing: size,
    processScan,
    queue,
    webhooks,
    outcomes,
    // The webhook sender and the queue first (jobs in hand finish), then the engine they ran on, then storage.
    close: () =>
      (closing ??= (async () => {
        await webhooks?.stop();
        await queue?.close();
        if (!options.analyzer) await analyzer.close();
        if (options.cache === undefined) await cache?.close();
        if (!options.db) await db.destroy();
      })()),
  };
}

async function enginePool(config: ServiceConfig, size: Sizing, log: FastifyBaseLogger): Promise<EnginePool> {
  // Loaded on demand: the distributed API never starts an engine.
  const { createEnginePool } = await import('../engine/pool.ts');
  return createEnginePool({
    workers: size.engineThreads,
    modelsDir: config.modelsDir,
    // The service lets A/B splits and shadow runs pin any listed version, so it loads them all.
    loadVersions: 'all',
    batchWindowMs: config.models.batchWindowMs,
    onBatch: (n) => metrics.batchSize.observe(n),
    device: config.device,
    logger: log.child({ component: 'engine' }),
  });
}

async function remoteAnalyzer(config: ServiceConfig): Promise<Analyzer> {
  const { RemoteAnalyzer } = await import('./queue/remote-analyzer.ts');
  const remote = new RemoteAnalyzer(config.redis!.url, config.redis!.prefix, config.waitTimeoutMs);
  await remote.ready(2000);
  return remote;
}
