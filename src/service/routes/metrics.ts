/**
 * GET /metrics (Prometheus text format) and the hooks that feed it: request latency per route
 * template (never the raw URL: ids would explode the label set) and error responses by code.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError, errorCodeOf } from '../http-errors.ts';
import { metrics } from '../metrics.ts';

/** True when an Authorization header carries the bearer token (compared in constant time). */
export function metricsAuthorized(token: string | undefined, header: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (v: string) => crypto.createHash('sha256').update(v).digest();
  return crypto.timingSafeEqual(digest(given), digest(token));
}

/** GET /metrics; with a token (SKINSIGHT_METRICS_TOKEN) it needs `Authorization: Bearer <token>`. Never rate-limited (scrapers). */
export function registerMetrics(app: FastifyInstance, queueDepth: () => number, token?: string): void {
  metrics.setQueueDepthSource(queueDepth);
  app.addHook('onClose', async () => metrics.setQueueDepthSource(undefined));

  app.addHook('onResponse', async (request, reply) => {
    // The code the error handler (or a route) sent, as it sent it; a bare status otherwise.
    if (reply.statusCode >= 400) metrics.errors.inc({ code: errorCodeOf(reply) ?? `HTTP_${reply.statusCode}`, source: 'http' });
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (request, reply) => {
    if (!metricsAuthorized(token, request.headers.authorization)) {
      throw new HttpError('UNAUTHORIZED', 'the metrics token is required (Authorization: Bearer …)', {}, { 'www-authenticate': 'Bearer' });
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
