/**
 * The one error catalogue: every code a client can read in `{error: {code, message}}`, with its
 * HTTP status and a default message, in the manner of Fastify's lib/errors.js (one table of
 * codes, statuses and messages). The engine only names its codes (src/engine/errors.ts); their
 * HTTP statuses live here, on the service's side of the boundary. Messages are for people and
 * may be replaced by a more precise one where the error is raised; codes never change.
 */
import type { ErrorCode as EngineErrorCode } from '../engine/errors.ts';

export interface ErrorEntry {
  /** The HTTP status the service answers with. */
  status: number;
  /** What a person reads when the raiser gives no more precise message. */
  message: string;
}

/** The engine's codes: the keys are checked against the engine's own list, so none can be missed. */
const ENGINE_ERRORS = {
  UNSUPPORTED_FORMAT: { status: 415, message: 'the file is not a JPEG, PNG or WebP image' },
  CORRUPT_IMAGE: { status: 422, message: 'the image is damaged or cannot be read' },
  IMAGE_TOO_LARGE: { status: 413, message: 'the image is too large' },
  IMAGE_TOO_SMALL: { status: 422, message: 'the image is too small to analyse' },
  EMPTY_IMAGE: { status: 422, message: 'the file is empty' },
  NO_FACE: { status: 422, message: 'no human face was found in the image' },
  INVALID_OPTIONS: { status: 400, message: 'the analysis options are not valid' },
  ENGINE_CLOSED: { status: 503, message: 'the analysis engine is not running' },
  /** The engine thread analysing the photo died (e.g. out of memory); the photo may be the cause. */
  ENGINE_CRASHED: { status: 422, message: 'the engine thread stopped during the analysis' },
  INTERNAL: { status: 500, message: 'internal error' },
} as const satisfies Record<EngineErrorCode, ErrorEntry>;

/** The service's own codes: accounts, scans, uploads, limits. */
const SERVICE_ERRORS = {
  // Authentication and accounts
  UNAUTHORIZED: { status: 401, message: 'a valid bearer token is required' },
  INVALID_TOKEN: { status: 401, message: 'the token is not valid' },
  TOKEN_EXPIRED: { status: 401, message: 'the token has expired; log in again' },
  SESSION_ENDED: { status: 401, message: 'the session has ended; log in again' },
  INVALID_API_KEY: { status: 401, message: 'a valid API key is required (X-API-Key header)' },
  INVALID_CREDENTIALS: { status: 401, message: 'wrong email or password' },
  WRONG_PASSWORD: { status: 403, message: 'the current password is wrong' },
  WEAK_PASSWORD: { status: 400, message: 'the password is too weak' },
  FORBIDDEN: { status: 403, message: 'the admin role is required' },
  LOGIN_THROTTLED: { status: 429, message: 'too many failed logins for this account; retry later' },
  RATE_LIMITED: { status: 429, message: 'too many requests; retry later' },
  // Resources
  NOT_FOUND: { status: 404, message: 'no such route' },
  SCAN_NOT_FOUND: { status: 404, message: 'scan not found' },
  IMAGE_NOT_FOUND: { status: 404, message: 'image not found' },
  SCAN_NOT_COMPLETED: { status: 409, message: 'results are available once the scan is completed' },
  SCAN_ALREADY_UPLOADED: { status: 409, message: 'the scan is no longer pending; start a new scan' },
  /** A scan tried SKINSIGHT_JOB_ATTEMPTS times without finishing (a photo that crashes the service). */
  ANALYSIS_ABORTED: { status: 422, message: 'the analysis was interrupted too many times' },
  // Requests and uploads
  INVALID_REQUEST: { status: 400, message: 'the request is not valid' },
  /** Any other 4xx the framework raises keeps the framework's status under this code. */
  BAD_REQUEST: { status: 400, message: 'bad request' },
  CLIENT_ABORTED: { status: 400, message: 'the client closed the connection' },
  /** Node's HTTP parser refused the request line or headers (client-errors.ts). */
  HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  REQUEST_TIMEOUT: { status: 408, message: 'the request did not arrive in time' },
  MISSING_FILE: { status: 400, message: 'the multipart field `file` is required' },
  CONSENT_REQUIRED: { status: 400, message: 'consent=true is required to analyse a photo' },
  INVALID_MULTIPART: { status: 400, message: 'the multipart body is malformed' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'the request body is too large' },
  TOO_MANY_FILES: { status: 413, message: 'too many files in the request' },
  TOO_MANY_PARTS: { status: 413, message: 'too many parts in the multipart body' },
  TOO_MANY_FIELDS: { status: 413, message: 'too many fields in the multipart body' },
  NOT_MULTIPART: { status: 415, message: 'the request must be multipart/form-data' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  // Idempotency-Key (src/service/idempotency.ts)
  INVALID_IDEMPOTENCY_KEY: { status: 400, message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' },
  IDEMPOTENCY_KEY_IN_PROGRESS: { status: 409, message: 'a request with this Idempotency-Key is still being processed; retry shortly' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'this Idempotency-Key was used with a different request; use a new key for a new request' },
  // Capacity and features
  QUEUE_FULL: { status: 503, message: 'the analysis queue is full; retry later' },
  /** The process holds SKINSIGHT_UPLOAD_INFLIGHT_MB of uploads already (upload-budget.ts). */
  UPLOADS_BUSY: { status: 503, message: 'too many uploads in progress; retry shortly' },
  /** The account holds its share (SKINSIGHT_UPLOAD_USER_SHARE) of that budget already. */
  TOO_MANY_UPLOADS: { status: 429, message: 'this account has too many uploads in progress; retry shortly' },
  /** The account has SKINSIGHT_SCANS_IN_FLIGHT_PER_USER scans queued or analysing already. */
  TOO_MANY_SCANS: { status: 429, message: 'this account has too many scans being analysed; retry when one finishes' },
  NOT_SUPPORTED: { status: 501, message: 'this engine cannot reload its models' },
} as const satisfies Record<string, ErrorEntry>;

export const ERRORS = { ...ENGINE_ERRORS, ...SERVICE_ERRORS } as const;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in catalogue order: the OpenAPI `Error.code` enum. */
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The HTTP status of a code. */
export function statusOf(code: ErrorCode): number {
  return ERRORS[code].status;
}

/** The command line's own codes (`skinsight analyze` output lines), beside the engine's; never HTTP answers. */
export const CLI_ERROR_CODES = ['FILE_NOT_FOUND', 'FILE_UNREADABLE'] as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** A CLI output line's error: an engine code or one of the CLI's. */
export interface CliErrorInfo {
  code: EngineErrorCode | CliErrorCode;
  message: string;
}
