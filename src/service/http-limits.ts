/**
 * What a client may cost a connection: timeouts for slow senders, and request bodies refused
 * as early as possible. An answer sent before its request body was read to the end (413 on a
 * declared size, a limit hit mid-stream, any early error) closes the connection: the rest of
 * the body is never read, and a keep-alive client does not wait on a socket whose unread bytes
 * block the next request (Node does not drain a body a handler has started reading).
 */
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { ServiceConfig } from './config.ts';
import type { ErrorCode } from '../contract/errors.ts';
import { HttpError } from './http-errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Largest request body the route reads (multipart routes, whose parts are read as streams). */
    maxBodyBytes?: number;
    /** The 413 code for a body over it (default PAYLOAD_TOO_LARGE; one-photo routes say IMAGE_TOO_LARGE). */
    tooLargeCode?: Extract<ErrorCode, 'PAYLOAD_TOO_LARGE' | 'IMAGE_TOO_LARGE'>;
  }
}

/** Fastify/Node server options for the configured timeouts. */
export function serverTimeouts(t: ServiceConfig['timeouts']): Partial<FastifyServerOptions> {
  return {
    // Node checks header and request deadlines on this interval (default 30 s): check often
    // enough that a cut-off lands close to its deadline.
    http: { headersTimeout: t.headerMs, requestTimeout: t.bodyMs, connectionsCheckingInterval: Math.min(1000, t.headerMs) },
    requestTimeout: t.bodyMs,
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
  } as Partial<FastifyServerOptions>;
}

/** How long a connection answered before its body was read stays open for the peer to read the answer. */
const EARLY_ANSWER_CLOSE_MS = 1000;

export function payloadTooLarge(request: FastifyRequest): HttpError {
  const { maxBodyBytes, tooLargeCode } = request.routeOptions.config;
  return new HttpError(tooLargeCode ?? 'PAYLOAD_TOO_LARGE', `the request body is over ${maxBodyBytes} bytes`);
}

export function registerBodyLimits(app: FastifyInstance) {
  // Refuse on the declared length and type, before reading a byte of the body. A route with a
  // body limit reads multipart only; any other type would go to Fastify's JSON or text parser,
  // which buffers the whole body (up to that limit) before authentication runs, so a caller
  // without a token could hold the memory (and the upload budget) until the body timeout.
  app.addHook('onRequest', async (request) => {
    const max = request.routeOptions.config.maxBodyBytes;
    if (max === undefined) return;
    if (!/^multipart\/form-data\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
      throw new HttpError('NOT_MULTIPART', 'the request must be multipart/form-data');
    }
    const declared = Number(request.headers['content-length']);
    if (declared > max) throw payloadTooLarge(request);
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete !== false) return;
    reply.header('connection', 'close');
    // Node dumps (reads and discards) an unread request body once the answer is sent: stop reading
    // the socket instead, and close it soon whatever the peer does, so an early 413 never turns
    // into reading the rest of an endless body.
    const socket = request.raw.socket;
    // Node answers `connection: close` with socket.destroySoon(): end, then destroy the moment the
    // answer is flushed, with the peer's body still arriving. The peer's next write then fails
    // with EPIPE, and a client that is still sending (every client that sends a big body) has its
    // socket torn down before it has read the 413: it sees a dropped connection, no answer. Seen
    // in CI. So half-close only (FIN after the answer) and leave the destroy to the timer below,
    // a "lingering close" as Apache calls it.
    socket.destroySoon = function halfCloseOnly(this: typeof socket) {
      if (this.writable) this.end();
    };
    reply.raw.once('finish', () => {
      socket.pause();
      setTimeout(() => socket.destroy(), EARLY_ANSWER_CLOSE_MS).unref();
    });
  });
}
