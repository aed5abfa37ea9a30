/**
 * GET /metrics (Prometheus text format) and the hooks that feed it: request latency per route
 * template (never the raw URL: ids would explode the label set) and error responses by code.
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-errors.ts';
import { metrics } from '../metrics.ts';

const CODE_RE = /"code":"([A-Z][A-Z0-9_]{0,63})"/;

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

  app.addHook('onSend', async (_request, reply, payload) => {
    // Error bodies are small JSON strings written by the error handler: read the code from them.
    if (reply.statusCode >= 400 && typeof payload === 'string') {
      metrics.errors.inc({ code: CODE_RE.exec(payload)?.[1] ?? `HTTP_${reply.statusCode}`, source: 'http' });
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (request, reply) => {
    if (!metricsAuthorized(token, request.headers.authorization)) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the metrics token is required (Authorization: Bearer …)', {}, { 'www-authenticate': 'Bearer' });
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
