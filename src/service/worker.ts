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
import type { EnginePool } from '../engine/pool.ts';
import { loadConfig, type ServiceConfig } from './config.ts';
import { metrics, observeResult } from './metrics.ts';
import { metricsAuthorized } from './routes/metrics.ts';
import { ANALYZE_QUEUE, SCAN_QUEUE } from './queue/bullmq.ts';
import { runAnalyzeJob, type AnalyzeJobData } from './queue/analyze-job.ts';
import { controlChannel, enginesKey } from './queue/remote-analyzer.ts';
import { announceReady } from './ready.ts';
import { createServices } from './services.ts';
import type { Sizing } from './sizing.ts';

export interface RunningWorker {
  id: string;
  pool: EnginePool;
  /** Engine threads and jobs in flight, by the rule serve uses too (sizing.ts). */
  sizing: Sizing;
  close(): Promise<void>;
}

export async function startWorker(config: ServiceConfig = loadConfig()): Promise<RunningWorker> {
  const pino = (await import('pino')).default;
  const id = `${os.hostname()}:${process.pid}`;
  const log = pino({ level: config.logLevel }).child({ worker: id }) as unknown as FastifyBaseLogger;
  // The same composition root as `serve` (services.ts): the same engine threads and jobs in flight.
  const services = await createServices(config, { role: 'worker', log });
  // Outcomes (and their webhook events) are recorded here; the API processes' dispatchers send the events (webhooks/outbox.ts).
  const { sizing, outcomes } = services;
  const pool = services.pool!;
  const processScan = services.processScan!;
  const { url, prefix } = config.redis!;

  // Workers block on Redis: BullMQ needs maxRetriesPerRequest null, and reconnects by itself.
  // BullMQ leaves connections it was given open on close: they are closed here, last.
  const connections: Redis[] = [];
  const connection = () => {
    const r = new Redis(url, { maxRetriesPerRequest: null });
    r.on('error', () => {});
    connections.push(r);
    return r;
  };
  const concurrency = sizing.jobConcurrency;
  const common = {
    prefix,
    concurrency,
    lockDuration: config.queue.lockMs,
    stalledInterval: config.queue.lockMs,
    // A crash is a stalled try; allow as many as there are attempts before giving up.
    maxStalledCount: config.queue.attempts,
  };
  // The job returns nothing: what processScan hands back (the saved row and the result's text,
  // ~40 kB) is for a request waiting in the same process. Returned to BullMQ it would be stored
  // in Redis as the job's returnvalue and sent in the `completed` event to every API process's
  // QueueEvents (each of them parsing it), and kept in the events stream (up to 10,000 events).
  // The API reads the row itself once the event arrives.
  const scanWorker = new Worker(SCAN_QUEUE, async (job: Job<{ scanId: string }>) => void (await processScan({ scanId: job.data.scanId })), {
    ...common,
    connection: connection(),
  });
  const analyzeWorker = new Worker(
    ANALYZE_QUEUE,
    async (job: Job<AnalyzeJobData>) => {
      const { outcome, result } = await runAnalyzeJob(pool, job, (code) => metrics.errors.inc({ code, source: 'analysis' }));
      if (result) observeResult(result);
      return outcome;
    },
    { ...common, connection: connection() },
  );
  for (const w of [scanWorker, analyzeWorker]) w.on('error', (err) => log.warn({ err: String(err) }, 'queue connection problem; retrying'));
  scanWorker.on('failed', (job, err) => {
    // The last try failed (infrastructure, not the photo: the processor records those itself).
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      outcomes.fail(job.data.scanId, 'ANALYSIS_ABORTED', `analysis failed after ${job.attemptsMade} tries: ${err.message}`).catch(() => {});
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
  const address = server?.address();
  const metricsUrl = address && typeof address === 'object' ? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}/metrics` : undefined;
  log.info({ concurrency, engines: pool.size, lockMs: config.queue.lockMs }, 'skinsight worker ready');
  announceReady({ role: 'worker', engineThreads: pool.size, jobConcurrency: concurrency, ...(metricsUrl ? { metricsUrl } : {}) });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off('SIGHUP', onHup);
      clearInterval(beat);
      // Finish the jobs in hand before the engine goes.
      await Promise.allSettled([scanWorker.close(), analyzeWorker.close()]);
      await control.hdel(enginesKey(prefix), id).catch(() => {});
      await counts.close().catch(() => {});
      for (const r of connections) r.disconnect();
      server?.close();
      await services.close();
    })());
  return { id, pool, sizing, close };
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
