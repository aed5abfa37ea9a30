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
 *
 * Once the route's authentication has named the account (request.account, after the route's own
 * preHandler), its reservation also counts against that account's share of the budget
 * (SKINSIGHT_UPLOAD_USER_SHARE, a quarter by default): past it the request is refused with 429
 * TOO_MANY_UPLOADS (RFC 6585 §4: this client's own load), so one account's stalled uploads cannot
 * hold what everyone else needs. An account's first upload is never refused by its share.
 * API-key requests (server-to-server, operator-issued) have no account and only the global budget.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { HttpError } from './http-errors.ts';

/** Seconds a refused client is asked to wait: uploads finish in about that long on a LAN. */
const RETRY_AFTER_S = 1;

interface Reservation {
  bytes: number;
  /** The account charged with it, once known. */
  account: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    uploadReservation?: Reservation;
  }
}

const mb = (bytes: number) => Math.round(bytes / 1e6);

/** `totalBytes` 0 switches the budget off; `userShare` (0, 1] is the most of it one account may hold. */
export function registerUploadBudget(app: FastifyInstance, totalBytes: number, userShare = 1): void {
  let reserved = 0;
  const byAccount = new Map<string, number>();
  if (totalBytes <= 0) return;
  const accountMax = totalBytes * userShare;

  app.addHook('onRequest', async (request, reply) => {
    const max = request.routeOptions.config.maxBodyBytes;
    if (max === undefined) return;
    const declared = Number(request.headers['content-length']);
    const want = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, max) : max;
    if (reserved > 0 && reserved + want > totalBytes) {
      throw new HttpError('UPLOADS_BUSY', `too many uploads in progress (${mb(reserved)} MB); retry in ${RETRY_AFTER_S} s`, {}, {
        'retry-after': String(RETRY_AFTER_S),
      });
    }
    reserved += want;
    const reservation: Reservation = { bytes: want, account: null };
    request.uploadReservation = reservation;
    let released = false;
    reply.raw.once('close', () => {
      if (released) return;
      released = true;
      reserved -= want;
      if (reservation.account !== null) uncharge(reservation.account, want);
    });
  });

  function uncharge(account: string, bytes: number) {
    const left = (byAccount.get(account) ?? 0) - bytes;
    if (left > 0) byAccount.set(account, left);
    else byAccount.delete(account);
  }

  /** After the route's authentication: charge the account, or refuse past its share. */
  async function chargeAccount(request: FastifyRequest, _reply: FastifyReply) {
    const reservation = request.uploadReservation;
    const account = request.account?.id;
    if (!reservation || !account || reservation.account !== null) return;
    const held = byAccount.get(account) ?? 0;
    if (held > 0 && held + reservation.bytes > accountMax) {
      throw new HttpError('TOO_MANY_UPLOADS', `this account has ${mb(held)} MB of uploads in progress; retry in ${RETRY_AFTER_S} s`, {}, {
        'retry-after': String(RETRY_AFTER_S),
      });
    }
    byAccount.set(account, held + reservation.bytes);
    reservation.account = account;
  }

  // Appended to each body-limited route's own preHandlers, so it runs after they authenticate.
  app.addHook('onRoute', (route) => {
    if (route.config?.maxBodyBytes === undefined) return;
    const own = [route.preHandler ?? []].flat() as preHandlerHookHandler[];
    route.preHandler = [...own, chargeAccount as preHandlerHookHandler];
  });
}
