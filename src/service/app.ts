/**
 * buildApp: the Fastify application with its plugins, routes and background jobs, on the
 * services createServices builds from a validated config (parts a caller supplies, e.g. a test's
 * engine or clock, are used instead). Does not listen: startServer does.
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
import { clientErrorHandler, frameworkErrors } from './client-errors.ts';
import { HttpError, handleError, sendError } from './http-errors.ts';
import { registerBodyLimits, serverTimeouts } from './http-limits.ts';
import { registerUploadBudget } from './upload-budget.ts';
import { recoverScans } from './recovery.ts';
import { purgeImages, schedulePurge } from './retention.ts';
import { adminRoutes } from './routes/admin.ts';
import { analyzeRoutes } from './routes/analyze.ts';
import { authRoutes } from './routes/auth.ts';
import { healthRoutes } from './routes/health.ts';
import { scanRoutes } from './routes/scans.ts';
import { webRoutes } from './routes/web.ts';
import { analysisResultSchema, errorSchema } from './schemas.ts';
import { registerMetrics } from './routes/metrics.ts';
import { modelAdminRoutes } from './routes/models.ts';
import { DOCS_CSP, docsCsp, securityHeaders } from './security-headers.ts';
import { createIdempotency } from './idempotency.ts';
import { RATE_LIMIT_HEADERS, retryAfterOnEvery429And503 } from './rate-limit-headers.ts';
import { IdempotencyRepo } from './storage/idempotency.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { modelListRoutes } from './routes/model-list.ts';
import { declareRouteErrors, type UndeclaredError } from './route-errors.ts';
import { createServices, type ServiceParts } from './services.ts';
import type { Sizing } from './sizing.ts';

/** Parts a caller may supply (tests: an engine, a clock, a cache); the rest is built from the config and closed with the app. */
export interface AppDeps extends ServiceParts {
  /** Fastify logger options; default: pino JSON at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** A ready pino logger to use instead (startServer shares its own with the engine). */
  loggerInstance?: FastifyBaseLogger;
  /** Called when a route answers an error code it does not declare (default: an error log line; the test app fails). */
  onUndeclaredError?: (e: UndeclaredError) => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    skinsight: ServiceContext & {
      purge(): Promise<number>;
      recover(): Promise<number>;
      /** Engine threads and jobs in flight here (sizing.ts); null when the workers analyse (distributed mode). */
      sizing: Sizing | null;
    };
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
    // Errors raised before a route is found answer in the catalogue's shape too (client-errors.ts).
    frameworkErrors,
    clientErrorHandler,
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
  declareRouteErrors(app, deps.onUndeclaredError ?? ((e) => app.log.error(e, 'a route answered an error code it does not declare')));
  retryAfterOnEvery429And503(app);
  registerBodyLimits(app);
  registerUploadBudget(app, config.uploadInflightBytes, config.uploadUserShare);

  // The same composition root as `skinsight worker` (services.ts), on this app's logger.
  const services = await createServices(config, { ...deps, role: 'api', log: app.log });
  const { db, users, scans, sessions, throttle, images, cache, analyzer, clock } = services;
  const queue = services.queue!;
  const reloadable = analyzer as Analyzer & { reload?: () => Promise<unknown> };
  const reloadModels = typeof reloadable.reload === 'function' ? () => reloadable.reload!() : null;

  const webhooks = services.webhooks;

  // A request holds its key at most as long as it can run: a ?wait=true answer plus the idle timeout.
  const idempotency = createIdempotency({ repo: new IdempotencyRepo(db), clock, leaseMs: config.waitTimeoutMs + config.timeouts.idleMs });
  idempotency.register(app);
  const ctx: ServiceContext = { config, db, users, scans, sessions, throttle, images, queue, analyzer, clock, cache, reloadModels, idempotency, webhooks };
  if (config.metrics.enabled) registerMetrics(app, () => queue.depth(), config.metrics.token);
  const purgeDeps = { idempotency: new IdempotencyRepo(db), db, scans, sessions, throttle, images, cache, clock, log: app.log, resultDays: config.retention.resultDays };
  app.decorate('skinsight', {
    ...ctx,
    purge: () => purgeImages(purgeDeps),
    recover: () => recoverScans({ scans, images, queue, log: app.log, outcomes: services.outcomes }),
    sizing: services.processScan ? services.sizing : null,
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
    await recoverScans({ scans, images, queue, log: app.log, outcomes: services.outcomes });
    await purgeImages(purgeDeps);
    webhooks?.start();
  });
  app.addHook('onClose', async () => {
    stopPurge();
    await services.close();
  });
  return app;
}
