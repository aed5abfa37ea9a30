/**
 * Errors the routes throw, and the one handler that turns every error (ours, the engine's,
 * Fastify's, the plugins') into `{error: {code, message}}` with the right status.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isSkinsightError } from '../engine/api.ts';
import { ENGINE_ERROR_STATUS } from './engine-status.ts';
import { QueueFullError } from './queue/types.ts';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'scan') => new HttpError(404, `${what.toUpperCase()}_NOT_FOUND`, `${what} not found`);
export const unauthorized = (message = 'a valid bearer token is required') => new HttpError(401, 'UNAUTHORIZED', message);

/** Fastify and plugin error codes that are really client errors, with stable names of ours. */
const FASTIFY_CODES: Record<string, { status: number; code: string }> = {
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'IMAGE_TOO_LARGE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_FILES_LIMIT: { status: 413, code: 'TOO_MANY_FILES' },
  FST_PARTS_LIMIT: { status: 413, code: 'TOO_MANY_PARTS' },
  FST_FIELDS_LIMIT: { status: 413, code: 'TOO_MANY_FIELDS' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'NOT_MULTIPART' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_REQUEST' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_REQUEST' },
};

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message }, ...extra };
}

/** Stream errors a request gets when its client went away (or was cut off by a timeout). */
const ABORT_CODES = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'EPIPE']);

export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const errCode = (err as { code?: unknown }).code;
  if (typeof errCode === 'string' && ABORT_CODES.has(errCode) && (request.raw.destroyed || request.raw.socket?.destroyed)) {
    // Nobody is left to answer: not a server fault, so no error line and no stack.
    request.log.info({ code: errCode }, 'client aborted the request');
    return reply.code(400).send(errorBody('CLIENT_ABORTED', 'the client closed the connection'));
  }
  if (err instanceof HttpError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return reply.code(err.statusCode).send(errorBody(err.code, err.message, err.extra));
  }
  if (isSkinsightError(err)) {
    const status = ENGINE_ERROR_STATUS[err.code];
    if (status >= 500) request.log.error({ err }, 'engine error');
    return reply.code(status).send(errorBody(err.code, err.message));
  }
  if (err instanceof QueueFullError) {
    reply.header('retry-after', String(err.retryAfterS));
    return reply.code(503).send(errorBody(err.code, err.message));
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    return reply.code(400).send(errorBody('INVALID_REQUEST', fe.message));
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return reply.code(known.status).send(errorBody(known.code, fe.message));
  if (fe.statusCode === 429) {
    return reply.code(429).send(errorBody('RATE_LIMITED', fe.message));
  }
  if (fe.code?.startsWith('FST_JWT')) {
    return reply.code(401).send(errorBody('UNAUTHORIZED', fe.message));
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.code(fe.statusCode).send(errorBody('BAD_REQUEST', fe.message));
  }
  request.log.error({ err }, 'unhandled error');
  return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
}
