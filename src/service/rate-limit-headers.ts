/**
 * Rate-limit fields on every limited response, as @fastify/rate-limit writes them with
 * `enableDraftSpec` (IETF draft-ietf-httpapi-ratelimit-headers: RateLimit-Limit, -Remaining,
 * -Reset in seconds), and Retry-After (RFC 9110 §10.2.3) on every 429 and 503.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

export const RATE_LIMIT_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const;

/** A 503 whose cause gave no better estimate (the service is starting, a worker is not up). */
const DEFAULT_RETRY_AFTER_S = 5;

/**
 * Report a limit on the response, unless one already reported leaves fewer requests: a
 * request counted by two limits (per IP, per user) is told about the one it will hit first.
 */
export function reportLimit(reply: FastifyReply, l: { limit: number; remaining: number; resetS: number }): void {
  const shown = reply.getHeader('ratelimit-remaining');
  if (shown !== undefined && Number(shown) <= l.remaining) return;
  reply.header('ratelimit-limit', String(l.limit));
  reply.header('ratelimit-remaining', String(l.remaining));
  reply.header('ratelimit-reset', String(l.resetS));
}

export function retryAfterOnEvery429And503(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    const status = reply.statusCode;
    if ((status === 429 || status === 503) && !reply.hasHeader('retry-after')) {
      const reset = Number(reply.getHeader('ratelimit-reset'));
      reply.header('retry-after', String(Number.isFinite(reset) && reset > 0 ? reset : DEFAULT_RETRY_AFTER_S));
    }
    return payload;
  });
}
