/**
 * Errors the routes throw, and the one handler that turns every error (ours, the engine's,
 * Fastify's, the plugins') into `{error: {code, message}}` with the status the catalogue
 * (src/contract/errors.ts) gives its code. The code sent is remembered on the reply, so the
 * metrics count it without reading the body back (errorCodeOf).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../contract/common.ts';
import { ERRORS, isErrorCode, statusOf, type ErrorCode } from '../contract/errors.ts';
import { isSkinsightError } from '../engine/api.ts';
import { QueueFullError } from './queue/types.ts';

export class HttpError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string = ERRORS[code].message,
    readonly extra: Pick<ErrorBody, 'scan_id' | 'status'> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusOf(code);
  }
}

export const unauthorized = (message?: string) => new HttpError('UNAUTHORIZED', message);

/** Fastify and plugin error codes that are really client errors, with stable names of ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_REQ_FILE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'TOO_MANY_FILES',
  FST_PARTS_LIMIT: 'TOO_MANY_PARTS',
  FST_FIELDS_LIMIT: 'TOO_MANY_FIELDS',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'NOT_MULTIPART',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
};

export function errorBody(code: ErrorCode, message: string, extra: Pick<ErrorBody, 'scan_id' | 'status'> = {}): ErrorBody {
  return { error: { code, message }, ...extra };
}

/** A code read back from storage (a failed scan's): a catalogue code, or INTERNAL. */
export function storedCode(code: string | null): ErrorCode {
  return isErrorCode(code) ? code : 'INTERNAL';
}

const sentCodes = new WeakMap<FastifyReply, ErrorCode>();

/** The code of the error this reply carries, if it carries one. */
export function errorCodeOf(reply: FastifyReply): ErrorCode | undefined {
  return sentCodes.get(reply);
}

/** Send an error body; the status is the catalogue's unless the caller knows better (a framework 4xx, a failed scan). */
export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  extra: Pick<ErrorBody, 'scan_id' | 'status'> = {},
  status = statusOf(code),
) {
  sentCodes.set(reply, code);
  return reply.code(status).send(errorBody(code, message, extra));
}

/** Stream errors a request gets when its client went away (or was cut off by a timeout). */
const ABORT_CODES = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'EPIPE']);

export function handleError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const errCode = (err as { code?: unknown }).code;
  if (typeof errCode === 'string' && ABORT_CODES.has(errCode) && (request.raw.destroyed || request.raw.socket?.destroyed)) {
    // Nobody is left to answer: not a server fault, so no error line and no stack.
    request.log.info({ code: errCode }, 'client aborted the request');
    return sendError(reply, 'CLIENT_ABORTED', ERRORS.CLIENT_ABORTED.message);
  }
  if (err instanceof HttpError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return sendError(reply, err.code, err.message, err.extra);
  }
  if (isSkinsightError(err)) {
    if (statusOf(err.code) >= 500) request.log.error({ err }, 'engine error');
    return sendError(reply, err.code, err.message);
  }
  if (err instanceof QueueFullError) {
    reply.header('retry-after', String(err.retryAfterS));
    return sendError(reply, err.code, err.message);
  }
  const fe = err as FastifyError;
  if (fe.validation) return sendError(reply, 'INVALID_REQUEST', fe.message);
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return sendError(reply, known, fe.message);
  if (fe.statusCode === 429) return sendError(reply, 'RATE_LIMITED', fe.message);
  if (fe.code?.startsWith('FST_JWT')) return sendError(reply, 'UNAUTHORIZED', fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendError(reply, 'BAD_REQUEST', fe.message, {}, fe.statusCode);
  }
  request.log.error({ err }, 'unhandled error');
  return sendError(reply, 'INTERNAL', ERRORS.INTERNAL.message);
}
