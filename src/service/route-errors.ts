/**
 * Each route's error responses, derived from the catalogue (src/contract/errors.ts): a route
 * declares the codes it can answer (`config.errors`), and an onRoute hook adds the ones every
 * route of its kind can give (a fault of ours, the per-IP limit, a refused body or parameter),
 * then writes one OpenAPI response per status, whose `error.code` enum lists exactly the codes
 * with that status. An onSend hook checks every error sent against the route's list, so the
 * document cannot claim less than the route does: an undeclared code is reported (logged by
 * default; the test app fails on it).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorBody } from '../contract/common.ts';
import { ERRORS, statusOf, type ErrorCode } from '../contract/errors.ts';
import { responseSchema, type JsonSchema } from '../contract/json-schema.ts';
import { errorCodeOf } from './http-errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error codes this route answers with, beside those every route of its kind can give (see implied). */
    errors?: readonly ErrorCode[];
    /** The route answers a failed scan's stored code (any of SCAN_FAILURES, never with a 5xx: failedScanStatus). */
    scanFailures?: boolean;
  }
}

/** A bearer-token route (auth/plugin.ts `authenticate`, with its per-user limit). */
export const BEARER = ['UNAUTHORIZED', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'SESSION_ENDED', 'RATE_LIMITED'] as const satisfies readonly ErrorCode[];
/** A route for the admin role (`requireAdmin`). */
export const ADMIN = [...BEARER, 'FORBIDDEN'] as const satisfies readonly ErrorCode[];
/** A route for API keys (`authenticateApiKey`). */
export const API_KEY = ['INVALID_API_KEY'] as const satisfies readonly ErrorCode[];
/** A route that honours Idempotency-Key (idempotency.ts). */
export const IDEMPOTENT = ['INVALID_IDEMPOTENCY_KEY', 'IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'] as const satisfies readonly ErrorCode[];
/** A route that reads a multipart body (multipart.ts, the plugin's limits). */
export const MULTIPART = ['NOT_MULTIPART', 'INVALID_MULTIPART', 'TOO_MANY_FILES', 'TOO_MANY_PARTS', 'TOO_MANY_FIELDS', 'MISSING_FILE'] as const satisfies readonly ErrorCode[];

/** The codes a failed scan can hold: the engine's (processor.ts stores its error as is) and ANALYSIS_ABORTED. */
export const SCAN_FAILURES = [
  'UNSUPPORTED_FORMAT', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE', 'IMAGE_TOO_SMALL', 'EMPTY_IMAGE', 'NO_FACE',
  'INVALID_OPTIONS', 'ENGINE_CLOSED', 'ENGINE_CRASHED', 'INTERNAL', 'ANALYSIS_ABORTED',
] as const satisfies readonly ErrorCode[];

/**
 * HTTP status for a failed scan's code: the catalogue's, but never a 5xx. A failed scan is a
 * final state the request read correctly (a 5xx would tell clients to retry a read that will
 * answer the same forever).
 */
export function failedScanStatus(code: ErrorCode): number {
  const status = statusOf(code);
  return status >= 500 ? 422 : status;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The codes any route like this one can give without saying so. */
function implied(route: RouteOptions): ErrorCode[] {
  // A fault of ours, a client gone mid-request, and a framework 4xx with no code of its own
  // (BAD_REQUEST keeps the framework's status).
  const codes: ErrorCode[] = ['INTERNAL', 'CLIENT_ABORTED', 'BAD_REQUEST'];
  if (route.config?.rateLimit !== false) codes.push('RATE_LIMITED');
  const methods = [route.method].flat();
  // Any request with a body: its size, its media type, JSON that does not parse.
  if (methods.some((m) => BODY_METHODS.has(m))) codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INVALID_REQUEST');
  // A route with a body limit shares the process's upload budget, an account its share of it (upload-budget.ts).
  if (route.config?.maxBodyBytes !== undefined) codes.push('UPLOADS_BUSY', 'TOO_MANY_UPLOADS');
  // Validated parameters; every query value must also be finite (app.ts).
  const schema = route.schema ?? {};
  if (schema.params || schema.querystring || schema.body || schema.headers) codes.push('INVALID_REQUEST');
  return codes;
}

/** The contract's error body (src/contract/common.ts) with `error.code` narrowed to the given codes. */
function narrowed(codes: ErrorCode[]): JsonSchema {
  const schema = structuredClone(ERROR_BODY);
  (schema as { properties: { error: { properties: { code: JsonSchema } } } }).properties.error.properties.code = { type: 'string', enum: codes };
  return schema;
}

const ERROR_BODY = responseSchema(ErrorBody);

/** One response schema per status: the Error body with `code` narrowed to the codes of that status. */
function responses(codes: Iterable<[ErrorCode, number]>): Record<number, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, status] of codes) {
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const out: Record<number, unknown> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    // Always JSON, whatever the route's success produces (the image route's is an image).
    out[status] = {
      description: list.map((c) => `\`${c}\`: ${ERRORS[c].message}`).join('; '),
      content: {
        'application/json': {
          schema: narrowed(list),
        },
      },
    };
  }
  return out;
}

/** What the route may answer: its declared codes with their statuses. */
function declared(route: RouteOptions): [ErrorCode, number][] {
  const codes = new Set<ErrorCode>([...(route.config?.errors ?? []), ...implied(route)]);
  const pairs: [ErrorCode, number][] = [...codes].map((c) => [c, statusOf(c)]);
  if (route.config?.scanFailures) for (const c of SCAN_FAILURES) pairs.push([c, failedScanStatus(c)]);
  return pairs;
}

export interface UndeclaredError {
  method: string;
  url: string;
  status: number;
  code: ErrorCode;
}

/**
 * Register before the routes. Documented routes (those with a `response` schema and not
 * hidden) get their error responses written, and every error they send is checked.
 */
export function declareRouteErrors(app: FastifyInstance, onUndeclared: (e: UndeclaredError) => void) {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema?.response || schema.hide) return;
    const pairs = declared(route);
    schema.response = { ...(schema.response as object), ...responses(pairs) };
    // What the onSend check reads (Fastify copies the config into the route's context after this hook).
    route.config = { ...route.config, errors: [...new Set(pairs.map(([c]) => c))] };
  });
  app.addHook('onSend', async (request, reply) => {
    const code = errorCodeOf(reply);
    const config = request.routeOptions.config;
    if (!code || !config?.errors) return;
    // BAD_REQUEST keeps the framework's own 4xx status.
    const statuses = [statusOf(code), ...(config.scanFailures && (SCAN_FAILURES as readonly ErrorCode[]).includes(code) ? [failedScanStatus(code)] : [])];
    const ok = config.errors.includes(code) && (code === 'BAD_REQUEST' || statuses.includes(reply.statusCode));
    if (!ok) onUndeclared({ method: request.method, url: request.routeOptions.url ?? request.url, status: reply.statusCode, code });
  });
}
