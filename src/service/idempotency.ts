/**
 * The Idempotency-Key header (IETF draft-ietf-httpapi-idempotency-key-header): a POST sent
 * again with the same key and the same request gets the first response back, and its work
 * (a scan, an analysis) is not done twice. The same key with another request answers 422; a
 * duplicate that arrives while the first is still running answers 409 with Retry-After (the
 * draft's "concurrent request" case). Keys last 24 hours and live in the database, so every
 * API process honours them. A 5xx or 429 first answer is not kept: the retry runs anew.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.ts';
import type { UploadedFile } from './multipart.ts';
import type { IdempotencyRepo } from './storage/idempotency.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A stored response larger than this is not kept (the retry then runs again). */
const MAX_STORED_BYTES = 16 * 1024 * 1024;
/** Visible ASCII, as the draft's examples and every vendor's keys (UUIDs, ULIDs) are. */
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

interface Claim {
  key: string;
  owner: string;
  /** The scan the response belongs to (its row cascades the stored response away). */
  scanId: string | null;
  /**
   * What to keep for replays when it differs from the answer: the completed scan without the
   * face mesh, which the owner's first look gets but which is kept only an hour (geometry.ts),
   * never for the key's 24 hours.
   */
  storedBody?: string;
  /** Set by a route whose 2xx answer must not be replayed (a per-item failure a retry may fix). */
  retryable?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: Claim;
  }
}

/** The client's key, or null without the header; a malformed one is a 400. */
export function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return null;
  // The draft defines the value as a Structured Field string ("..."); bare tokens are accepted too.
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim().replace(/^"(.*)"$/, '$1');
  if (!KEY_RE.test(value)) {
    throw new HttpError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return value;
}

/** A digest of what a request asks for: the same parts in the same order give the same digest. */
export function fingerprintOf(...parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Fields sorted by name, files by their bytes' digest (a multipart boundary differs per send). */
export function multipartParts(body: { fields: Record<string, string>; files: UploadedFile[] }) {
  const fields = Object.entries(body.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const files = body.files.map((f) => [f.field, f.filename, crypto.createHash('sha256').update(f.bytes).digest('hex'), f.tooLarge]);
  return { fields, files };
}

export interface IdempotencyDeps {
  repo: IdempotencyRepo;
  clock: () => Date;
  /** How long an unfinished request holds its key before another process may take it over. */
  leaseMs: number;
}

export type Idempotency = ReturnType<typeof createIdempotency>;

export function createIdempotency(deps: IdempotencyDeps) {
  /**
   * Claim the request's key. 'proceed': no key, or this request holds it now (its response is
   * stored when sent). 'answered': the first response was replayed on `reply`.
   */
  async function begin(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { principal: string; userId: string | null; scanId: string | null; fingerprint: string },
  ): Promise<'proceed' | 'answered'> {
    const clientKey = idempotencyKeyOf(request);
    if (clientKey === null) return 'proceed';
    const route = `${request.method} ${request.url.split('?')[0]}`;
    const key = crypto.createHash('sha256').update(`${opts.principal}\n${route}\n${clientKey}`).digest('hex');
    const outcome = await deps.repo.claim({
      key,
      fingerprint: opts.fingerprint,
      userId: opts.userId,
      scanId: opts.scanId,
      now: deps.clock(),
      ttlMs: IDEMPOTENCY_TTL_MS,
      leaseMs: deps.leaseMs,
    });
    switch (outcome.kind) {
      case 'claimed':
        request.idempotency = { key, owner: outcome.owner, scanId: opts.scanId };
        return 'proceed';
      case 'replay':
        reply.code(outcome.response.status).type(outcome.response.type).header('idempotent-replayed', 'true');
        await reply.send(outcome.response.body);
        return 'answered';
      case 'in_progress':
        throw new HttpError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry shortly', {}, {
          'retry-after': '1',
        });
      case 'gone':
        // Deleted while the request was on its way: the scan's route says so as for any missing scan.
        throw new HttpError(opts.scanId ? 'SCAN_NOT_FOUND' : 'SESSION_ENDED');
      case 'mismatch':
        throw new HttpError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request; use a new key for a new request');
    }
  }

  /** Keep the response of a claimed request (or let the key go when it should be retried). */
  function register(app: FastifyInstance) {
    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotency;
      if (!claim) return payload;
      request.idempotency = undefined;
      const status = reply.statusCode;
      const retryable = status >= 500 || status === 429 || claim.retryable === true;
      const body = claim.storedBody ?? payload;
      if (retryable || typeof body !== 'string' || body.length > MAX_STORED_BYTES) {
        await deps.repo.release(claim.key, claim.owner);
        return payload;
      }
      const type = String(reply.getHeader('content-type') ?? 'application/json');
      await deps.repo.complete(claim.key, claim.owner, { status, type, body }, claim.scanId);
      return payload;
    });
  }

  return { begin, register };
}
