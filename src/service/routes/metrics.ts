/**
 * GET /metrics (Prometheus text format) and the hooks that feed it: request latency per route
 * template (never the raw URL: ids would explode the label set) and error responses by code.
 */
import type { FastifyInstance } from 'fastify';
import { metrics } from '../metrics.ts';

const CODE_RE = /"code":"([A-Z][A-Z0-9_]{0,63})"/;

export function registerMetrics(app: FastifyInstance, queueDepth: () => number): void {
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

  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
