/**
 * Typed engine errors. `code` is stable and machine-readable; the service maps it to an HTTP
 * status (src/contract/errors.ts), the CLI to an exit code. Messages are for people.
 */
export const ERROR_CODES = [
  'UNSUPPORTED_FORMAT',
  'CORRUPT_IMAGE',
  'IMAGE_TOO_LARGE',
  'IMAGE_TOO_SMALL',
  'EMPTY_IMAGE',
  'NO_FACE',
  'INVALID_OPTIONS',
  'ENGINE_CLOSED',
  /** The engine thread analysing the photo died (e.g. out of memory); the photo may be the cause. */
  'ENGINE_CRASHED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

export class SkinsightError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SkinsightError';
    this.code = code;
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
    const code = (error as { code: unknown }).code;
    if (isErrorCode(code)) return { code, message: String((error as { message: unknown }).message) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
