/**
 * `skinsight worker`: a separate process that runs the engine pool and consumes the BullMQ
 * queues (scans, and the API's synchronous analyses). Any number of them, on any machine that
 * reaches the database and Redis. It keeps no state of its own: killing one at any moment loses
 * nothing (its jobs stall and another worker takes them).
 *
 * Signals: SIGHUP reloads the model registry (workers replaced one at a time, no downtime);
 * SIGTERM/SIGINT finish the jobs in hand, then exit.
 */
import http from 'node:http';
import os from 'node:os';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { deviceFromEnv } from '../boot/engine-env.ts';
import { createEnginePool, type EnginePool } from '../engine/pool.ts';
import { toErrorInfo } from '../engine/api.ts';
import { createCache } from './cache.ts';
import { loadConfig, type ServiceConfig } from './config.ts';
import { metrics, observeResult } from './metrics.ts';
import { metricsAuthorized } from './routes/metrics.ts';
import { createScanProcessor } from './processor.ts';
import { ANALYZE_QUEUE, SCAN_QUEUE } from './queue/bullmq.ts';
import { controlChannel, encodeError, enginesKey, type AnalyzeJobData } from './queue/remote-analyzer.ts';
import { createImageStore } from './storage/factory.ts';
import { createDb } from './storage/db.ts';
import { migrateToLatest } from './storage/migrations.ts';
import { ScanRepo } from './storage/scans.ts';

export interface RunningWorker {
  id: string;
  pool: EnginePool;
  close(): Promise<void>;
}

export async function startWorker(config: ServiceConfig = loadConfig()): Promise<RunningWorker> {
  if (config.queue.kind !== 'bullmq' || !config.redis) {
    throw new Error('skinsight worker needs SKINSIGHT_QUEUE=bullmq and SKINSIGHT_REDIS_URL');
  }
  const { url, prefix } = config.redis;
  const pino = (await import('pino')).default;
  const id = `${os.hostname()}:${process.pid}`;
  const log = pino({ level: config.logLevel }).child({ worker: id }) as unknown as FastifyBaseLogger;
  const db = await createDb(config.db);
  await migrateToLatest(db);
  const scans = new ScanRepo(db);
  const images = createImageStore(config, db);
  const cache = createCache(config.cache, config.redis, (err) => log.warn({ err: String(err) }, 'result cache unavailable; treated as a miss'));
  const pool = await createEnginePool({
    workers: config.queue.workers,
    modelsDir: config.modelsDir,
    batchWindowMs: config.models.batchWindowMs,
    device: deviceFromEnv(),
    logger: log,
  });
  const clock = () => new Date();
  const processScan = createScanProcessor({
    analyzer: pool,
    scans,
    images,
    clock,
    log,
    cache,
    models: config.models,
    holdMs: config.debugHoldMs,
    storeLandmarks: config.retention.storeLandmarks,
    maxAttempts: config.queue.attempts,
    throwWhenClosing: true,
  });

  // Workers block on Redis: BullMQ needs maxRetriesPerRequest null, and reconnects by itself.
  const connection = () => {
    const r = new Redis(url, { maxRetriesPerRequest: null });
    r.on('error', () => {});
    return r;
  };
  const concurrency = config.queue.workerConcurrency ?? pool.size * 2;
  const common = {
    prefix,
    concurrency,
    lockDuration: config.queue.lockMs,
    stalledInterval: config.queue.lockMs,
    // A crash is a stalled try; allow as many as there are attempts before giving up.
    maxStalledCount: config.queue.attempts,
  };
  const scanWorker = new Worker(SCAN_QUEUE, async (job: Job<{ scanId: string }>) => processScan({ scanId: job.data.scanId }), {
    ...common,
    connection: connection(),
  });
  const analyzeWorker = new Worker(
    ANALYZE_QUEUE,
    async (job: Job<AnalyzeJobData>) => {
      try {
        const result = await pool.analyze(Buffer.from(job.data.bytes, 'base64'), job.data.options);
        observeResult(result);
        return result;
      } catch (err) {
        const info = toErrorInfo(err);
        metrics.errors.inc({ code: info.code, source: 'analysis' });
        throw new Error(encodeError(info.code, info.message), { cause: err });
      }
    },
    { ...common, connection: connection() },
  );
  for (const w of [scanWorker, analyzeWorker]) w.on('error', (err) => log.warn({ err: String(err) }, 'queue connection problem; retrying'));
  scanWorker.on('failed', (job, err) => {
    // The last try failed (infrastructure, not the photo: the processor records those itself).
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      scans.fail(job.data.scanId, 'ANALYSIS_ABORTED', `analysis failed after ${job.attemptsMade} tries: ${err.message}`, clock().toISOString()).catch(() => {});
    }
  });

  // Engine info for the API processes (readiness, versions), refreshed while alive.
  const control = connection();
  const publish = () =>
    control.hset(enginesKey(prefix), id, JSON.stringify({ info: pool.info(), at: Date.now(), concurrency })).catch(() => {});
  await publish();
  const beat = setInterval(publish, 5000);
  beat.unref();

  const reload = async (why: string) => {
    log.info({ why }, 'reloading the model registry');
    try {
      await pool.reload();
      await publish();
    } catch (err) {
      log.error({ err: String(err) }, 'model registry reload failed; the previous models keep serving');
    }
  };
  const subscriber = connection();
  await subscriber.subscribe(controlChannel(prefix)).catch(() => {});
  subscriber.on('message', (_channel, message) => {
    if (message === 'reload') void reload('admin request');
  });
  const onHup = () => void reload('SIGHUP');
  process.on('SIGHUP', onHup);

  const counts = new Queue(SCAN_QUEUE, { connection: control, prefix });
  counts.on('error', () => {});
  metrics.setQueueDepthSource(async () => {
    const c = await counts.getJobCounts('waiting', 'active', 'delayed', 'prioritized').catch(() => ({}));
    return Object.values(c).reduce((a, b) => a + b, 0);
  });
  let server: http.Server | undefined;
  if (config.metrics.enabled && config.metrics.port !== undefined) {
    server = http.createServer(async (req, res) => {
      res.setHeader('x-content-type-options', 'nosniff');
      if (req.url === '/metrics' && !metricsAuthorized(config.metrics.token, req.headers.authorization)) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', 'Bearer');
        res.end();
      } else if (req.url === '/metrics') {
        res.setHeader('content-type', metrics.registry.contentType);
        res.end(await metrics.registry.metrics());
      } else {
        res.statusCode = req.url === '/health/live' ? 200 : 404;
        res.end(req.url === '/health/live' ? '{"status":"ok"}' : '');
      }
    });
    await new Promise<void>((r) => server!.listen(config.metrics.port, config.host, r));
  }
  log.info({ concurrency, engines: pool.size, lockMs: config.queue.lockMs }, 'skinsight worker ready');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off('SIGHUP', onHup);
      clearInterval(beat);
      // Finish the jobs in hand before the engine goes.
      await Promise.allSettled([scanWorker.close(), analyzeWorker.close()]);
      await control.hdel(enginesKey(prefix), id).catch(() => {});
      subscriber.disconnect();
      await counts.close().catch(() => {});
      control.disconnect();
      server?.close();
      await pool.close();
      await cache?.close();
      await db.destroy();
    })());
  return { id, pool, close };
}

/** Entry for `skinsight worker`. */
export async function runWorkerCommand(): Promise<void> {
  const worker = await startWorker();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      worker.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
