/**
 * buildApp: the Fastify application with its plugins, routes, queue and background jobs,
 * from a validated config and the dependencies a caller may supply (the analyzer always;
 * a clock, database or image store for tests). Does not listen: startServer does.
 */
import fastifyCors from '@fastify/cors';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Analyzer } from '../engine/api.ts';
import { authPlugin } from './auth/plugin.ts';
import type { ServiceConfig } from './config.ts';
import type { ServiceContext } from './context.ts';
import { HttpError, handleError, sendError } from './http-errors.ts';
import { registerBodyLimits, serverTimeouts } from './http-limits.ts';
import { createScanProcessor } from './processor.ts';
import { MemoryJobQueue } from './queue/memory.ts';
import type { JobQueue } from './queue/types.ts';
import { recoverScans } from './recovery.ts';
import { purgeImages, schedulePurge } from './retention.ts';
import { adminRoutes } from './routes/admin.ts';
import { analyzeRoutes } from './routes/analyze.ts';
import { authRoutes } from './routes/auth.ts';
import { healthRoutes } from './routes/health.ts';
import { scanRoutes } from './routes/scans.ts';
import { webRoutes } from './routes/web.ts';
import { analysisResultSchema, errorSchema } from './schemas.ts';
import { createDb, type Db } from './storage/db.ts';
import type { ImageStore } from './storage/images.ts';
import { createImageStore } from './storage/factory.ts';
import { createCache, type ResultCache } from './cache.ts';
import { registerMetrics } from './routes/metrics.ts';
import { modelAdminRoutes } from './routes/models.ts';
import { BullMqJobQueue } from './queue/bullmq.ts';
import { migrateToLatest } from './storage/migrations.ts';
import { ScanRepo } from './storage/scans.ts';
import { UserRepo } from './storage/users.ts';
import { SessionRepo } from './storage/sessions.ts';
import { LoginThrottle } from './storage/login-throttle.ts';
import { DOCS_CSP, docsCsp, securityHeaders } from './security-headers.ts';
import { createIdempotency } from './idempotency.ts';
import { RATE_LIMIT_HEADERS, retryAfterOnEvery429And503 } from './rate-limit-headers.ts';
import { IdempotencyRepo } from './storage/idempotency.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { modelListRoutes } from './routes/model-list.ts';

export interface AppDeps {
  analyzer: Analyzer;
  /** Closed with the app when true (startServer owns the pool it made). */
  ownsAnalyzer?: boolean;
  clock?: () => Date;
  db?: Db;
  images?: ImageStore;
  /** Fastify logger options; default: pino JSON at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** A ready pino logger to use instead (startServer shares its own with the engine). */
  loggerInstance?: FastifyBaseLogger;
  /** Replaces the configured result cache (tests). */
  cache?: ResultCache | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    skinsight: ServiceContext & { purge(): Promise<number>; recover(): Promise<number> };
  }
}

const REQUEST_ID_RE = /^[\w.:-]{1,128}$/;

export async function buildApp(config: ServiceConfig, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? { level: config.logLevel } }),
    trustProxy: config.trustProxy,
    // Honour a caller's request id (proxies, other services) so one id follows a request everywhere.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    ...serverTimeouts(config.timeouts),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Query coercion turns "1e400" into Infinity, which passes `integer` with a `maximum`: refuse it.
  app.addHook('preHandler', async (request) => {
    const query = request.query as Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(query ?? {})) {
      if (typeof value === 'number' && !Number.isFinite(value)) throw new HttpError('INVALID_REQUEST', `querystring/${name} must be a finite number`);
    }
  });
  securityHeaders(app);
  retryAfterOnEvery429And503(app);
  registerBodyLimits(app);

  const clock = deps.clock ?? (() => new Date());
  const db = deps.db ?? (await createDb(config.db));
  await migrateToLatest(db);
  const images = deps.images ?? createImageStore(config, db);
  const users = new UserRepo(db);
  const scans = new ScanRepo(db);
  const sessions = new SessionRepo(db);
  const throttle = new LoginThrottle(db, config.jwt.secret);
  const cache =
    deps.cache !== undefined ? deps.cache : createCache(config.cache, config.redis, (err) => app.log.warn({ err: String(err) }, 'result cache unavailable; treated as a miss'));

  // Issue #16: signed scan events; API processes send them (workers only record them).
  const webhooks = config.webhook ? new WebhookOutbox(db, config.webhook, clock, app.log) : null;
  const onFinished = webhooks ? (s: { id: string; status: 'completed' | 'failed'; error: { code: string; message: string } | null }) =>
    webhooks.enqueue(s.status === 'completed' ? 'scan.completed' : 'scan.failed', s) : undefined;
  let queue: JobQueue;
  if (config.queue.kind === 'bullmq') {
    // Distributed mode: this process only queues; `skinsight worker` processes analyse.
    queue = new BullMqJobQueue({
      url: config.redis!.url,
      prefix: config.redis!.prefix,
      capacity: config.queue.size,
      attempts: config.queue.attempts,
      scans,
      log: app.log,
      waitTimeoutMs: config.waitTimeoutMs,
      sweepIntervalMs: config.queue.sweepIntervalMs,
      clock,
    });
  } else {
    const processor = createScanProcessor({
      analyzer: deps.analyzer, scans, images, clock, log: app.log, holdMs: config.debugHoldMs, cache, models: config.models,
      storeLandmarks: config.retention.storeLandmarks, maxAttempts: config.queue.attempts, onFinished,
    });
    const workers = config.queue.workers ?? 2;
    // Two jobs per worker thread keep every thread busy while the event loop does the I/O around them.
    queue = new MemoryJobQueue(processor, {
      capacity: config.queue.size,
      concurrency: workers * 2,
      onError: (err, job) => app.log.error({ err, scanId: job.scanId }, 'scan job crashed'),
    });
  }
  const reloadable = deps.analyzer as Analyzer & { reload?: () => Promise<unknown> };
  const reloadModels = typeof reloadable.reload === 'function' ? () => reloadable.reload!() : null;

  // A request holds its key at most as long as it can run: a ?wait=true answer plus the idle timeout.
  const idempotency = createIdempotency({ repo: new IdempotencyRepo(db), clock, leaseMs: config.waitTimeoutMs + config.timeouts.idleMs });
  idempotency.register(app);
  const ctx: ServiceContext = {
    config, db, users, scans, sessions, throttle, images, queue, analyzer: deps.analyzer, clock, cache, reloadModels, idempotency, webhooks,
  };
  if (config.metrics.enabled) registerMetrics(app, () => queue.depth(), config.metrics.token);
  const purgeDeps = { idempotency: new IdempotencyRepo(db), db, scans, sessions, throttle, images, cache, clock, log: app.log, resultDays: config.retention.resultDays };
  app.decorate('skinsight', {
    ...ctx,
    purge: () => purgeImages(purgeDeps),
    recover: () => recoverScans({ scans, images, queue, clock, log: app.log }),
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });

  await app.register(fastifyCors, {
    // Only the configured origins may call from a browser; none by default.
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id', 'idempotency-key'],
    exposedHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed', ...RATE_LIMIT_HEADERS],
  });
  await app.register(fastifyRateLimit, {
    // SKINSIGHT_RATE_LIMIT_IP=0 switches the per-IP limit off (refused in production).
    global: config.rateLimit.perIp > 0,
    max: config.rateLimit.perIp,
    timeWindow: config.rateLimit.windowMs,
    // RateLimit-Limit / -Remaining / -Reset (IETF draft-ietf-httpapi-ratelimit-headers) instead of X-RateLimit-*.
    enableDraftSpec: true,
    // The plugin has already set Retry-After; the error handler writes the body.
    errorResponseBuilder: (_req, context) =>
      new HttpError('RATE_LIMITED', `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`),
  });
  await app.register(fastifyMultipart, { limits: { fileSize: config.uploadLimitBytes } });
  await app.register(authPlugin, {
    secret: config.jwt.secret,
    expiresInS: config.jwt.expiresInS,
    apiKeys: config.apiKeys,
    sessions,
    perUserLimit: config.rateLimit.perUser,
    windowMs: config.rateLimit.windowMs,
    clock,
  });

  app.addSchema(analysisResultSchema());
  app.addSchema(errorSchema);
  await app.register(fastifySwagger, {
    // Shared schemas keep their $id as component names (AnalysisResult, Error).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'skinsight',
        description: 'Self-hostable skin analysis. Cosmetic estimates from a photo, not a medical diagnosis.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP, transformStaticCSP: docsCsp });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());

  await app.register(healthRoutes, { ctx });
  await app.register(authRoutes, { ctx });
  await app.register(scanRoutes, { ctx });
  await app.register(analyzeRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(modelAdminRoutes, { ctx });
  await app.register(webhookRoutes, { ctx });
  await app.register(modelListRoutes, { ctx });
  await app.register(webRoutes, { ctx });

  const stopPurge = schedulePurge(purgeDeps, config.retention.purgeIntervalMs);
  app.addHook('onReady', async () => {
    await recoverScans({ scans, images, queue, clock, log: app.log });
    await purgeImages(purgeDeps);
    webhooks?.start();
  });
  app.addHook('onClose', async () => {
    stopPurge();
    await webhooks?.stop();
    await queue.close();
    if (deps.ownsAnalyzer) await deps.analyzer.close();
    if (deps.cache === undefined) await cache?.close();
    if (!deps.db) await db.destroy();
  });
  return app;
}
