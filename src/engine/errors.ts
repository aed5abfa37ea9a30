/**
 * Typed engine errors. `code` is stable and machine-readable; the service maps it to an
 * HTTP status, the CLI to an exit code. Messages are for people.
 */
export const ERROR_CODES = {
  UNSUPPORTED_FORMAT: 415,
  CORRUPT_IMAGE: 422,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_SMALL: 422,
  EMPTY_IMAGE: 422,
  NO_FACE: 422,
  INVALID_OPTIONS: 400,
  ENGINE_CLOSED: 503,
  /** The engine thread analysing the photo died (e.g. out of memory); the photo may be the cause. */
  ENGINE_CRASHED: 422,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SkinsightError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SkinsightError';
    this.code = code;
    this.statusCode = ERROR_CODES[code];
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isSkinsightError(error: unknown): error is SkinsightError {
  return error instanceof SkinsightError;
}

/** Any thrown value as a `{code, message}` pair, without leaking stack traces. */
export function toErrorInfo(error: unknown): { code: ErrorCode; message: string } {
  if (isSkinsightError(error)) return error.toJSON();
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) {
    const code = String((error as { code: unknown }).code);
    if (code in ERROR_CODES) return { code: code as ErrorCode, message: String((error as { message: unknown }).message) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
