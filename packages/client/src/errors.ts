/**
 * Typed errors by code. Every error answer of the API is `{error: {code, message}}`; the client
 * throws it as a SkinsightApiError whose `action` says what a caller should do about it. The
 * same table is the README's error catalogue ("Integrate").
 */

/** What to do about an error: send it again (after `retryAfterS`), change the request, log in again, or accept it. */
export type ErrorAction = 'retry' | 'fix_input' | 'reauthenticate' | 'final';

export const ERROR_ACTIONS: Record<string, ErrorAction> = {
  // Try again later (honour Retry-After).
  RATE_LIMITED: 'retry',
  LOGIN_THROTTLED: 'retry',
  QUEUE_FULL: 'retry',
  UPLOADS_BUSY: 'retry',
  TOO_MANY_UPLOADS: 'retry',
  TOO_MANY_SCANS: 'retry',
  REQUEST_TIMEOUT: 'retry',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'retry',
  ANALYSIS_ABORTED: 'retry',
  ENGINE_CLOSED: 'retry',
  INTERNAL: 'retry',
  CLIENT_ABORTED: 'retry',
  SCAN_NOT_COMPLETED: 'retry',
  NETWORK_ERROR: 'retry',
  // Log in again / send a valid key.
  UNAUTHORIZED: 'reauthenticate',
  INVALID_TOKEN: 'reauthenticate',
  TOKEN_EXPIRED: 'reauthenticate',
  SESSION_ENDED: 'reauthenticate',
  INVALID_API_KEY: 'reauthenticate',
  INVALID_CREDENTIALS: 'reauthenticate',
  // The photo or the request must change.
  INVALID_REQUEST: 'fix_input',
  BAD_REQUEST: 'fix_input',
  HEADERS_TOO_LARGE: 'fix_input',
  MISSING_FILE: 'fix_input',
  CONSENT_REQUIRED: 'fix_input',
  EMPTY_IMAGE: 'fix_input',
  UNSUPPORTED_FORMAT: 'fix_input',
  UNSUPPORTED_MEDIA_TYPE: 'fix_input',
  NOT_MULTIPART: 'fix_input',
  IMAGE_TOO_LARGE: 'fix_input',
  PAYLOAD_TOO_LARGE: 'fix_input',
  TOO_MANY_FILES: 'fix_input',
  TOO_MANY_PARTS: 'fix_input',
  TOO_MANY_FIELDS: 'fix_input',
  CORRUPT_IMAGE: 'fix_input',
  IMAGE_TOO_SMALL: 'fix_input',
  NO_FACE: 'fix_input',
  INVALID_OPTIONS: 'fix_input',
  INVALID_MULTIPART: 'fix_input',
  WEAK_PASSWORD: 'fix_input',
  WRONG_PASSWORD: 'fix_input',
  // The engine thread died on this photo: another photo, not the same one again.
  ENGINE_CRASHED: 'fix_input',
  INVALID_IDEMPOTENCY_KEY: 'fix_input',
  IDEMPOTENCY_KEY_REUSED: 'fix_input',
  SCAN_ALREADY_UPLOADED: 'fix_input',
  // Nothing to retry: the thing is gone or not yours, or the account may not do it.
  SCAN_NOT_FOUND: 'final',
  IMAGE_NOT_FOUND: 'final',
  NOT_FOUND: 'final',
  NOT_SUPPORTED: 'final',
  FORBIDDEN: 'final',
};

export class SkinsightApiError extends Error {
  readonly action: ErrorAction;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds the server asked to wait (Retry-After), when it said. */
    readonly retryAfterS: number | null = null,
    readonly scanId: string | null = null,
  ) {
    super(message);
    this.name = 'SkinsightApiError';
    // An unknown code falls back on its status: 5xx and 429 retry, 401 re-authenticates, other 4xx fix the input.
    this.action = ERROR_ACTIONS[code] ?? (status >= 500 || status === 429 ? 'retry' : status === 401 ? 'reauthenticate' : 'fix_input');
  }

  get retryable(): boolean {
    return this.action === 'retry';
  }
}

/** The error an API answer carries (its JSON body when it has the usual shape). */
export async function errorFromResponse(response: Response, body?: unknown): Promise<SkinsightApiError> {
  let parsed = body;
  if (parsed === undefined) {
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
  }
  const err = (parsed as { error?: { code?: unknown; message?: unknown }; scan_id?: unknown } | null)?.error;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new SkinsightApiError(
    response.status,
    typeof err?.code === 'string' ? err.code : `HTTP_${response.status}`,
    typeof err?.message === 'string' ? err.message : response.statusText || `HTTP ${response.status}`,
    Number.isFinite(retryAfter) && response.headers.has('retry-after') ? retryAfter : null,
    typeof (parsed as { scan_id?: unknown } | null)?.scan_id === 'string' ? ((parsed as { scan_id: string }).scan_id) : null,
  );
}
