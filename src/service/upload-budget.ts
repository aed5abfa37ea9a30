/**
 * One budget for the upload bytes all requests may have in flight in this process. Each upload is
 * held in memory up to its route's limit (multipart.ts reads files into buffers), so many
 * concurrent uploads, each under the per-request limit, could together exhaust memory. A request
 * to a route with a body limit (`config.maxBodyBytes`) reserves what it may send when its headers
 * arrive: its declared Content-Length, else the route's whole limit (a chunked body). Past the
 * budget it is refused at once, before a byte of its body is read: 503 UPLOADS_BUSY with
 * Retry-After (RFC 9110 §15.6.4: a temporary overload). The reservation goes when the answer is
 * sent or the connection closes. One request alone is never refused, whatever its size, so a
 * budget below a route's limit cannot lock that route.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.ts';

/** Seconds a refused client is asked to wait: uploads finish in about that long on a LAN. */
const RETRY_AFTER_S = 1;

/** `totalBytes` 0 switches the budget off. */
export function registerUploadBudget(app: FastifyInstance, totalBytes: number): void {
  let reserved = 0;
  if (totalBytes <= 0) return;
  app.addHook('onRequest', async (request, reply) => {
    const max = request.routeOptions.config.maxBodyBytes;
    if (max === undefined) return;
    const declared = Number(request.headers['content-length']);
    const want = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, max) : max;
    if (reserved > 0 && reserved + want > totalBytes) {
      throw new HttpError('UPLOADS_BUSY', `too many uploads in progress (${Math.round(reserved / 1e6)} MB); retry in ${RETRY_AFTER_S} s`, {}, {
        'retry-after': String(RETRY_AFTER_S),
      });
    }
    reserved += want;
    let released = false;
    reply.raw.once('close', () => {
      if (released) return;
      released = true;
      reserved -= want;
    });
  });
}
