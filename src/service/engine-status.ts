/**
 * The HTTP status of each engine error code: the service's side of the engine ↔ service
 * contract (the engine itself knows nothing of HTTP).
 */
import type { ErrorCode } from '../engine/api.ts';

export const ENGINE_ERROR_STATUS: Record<ErrorCode, number> = {
  UNSUPPORTED_FORMAT: 415,
  CORRUPT_IMAGE: 422,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_SMALL: 422,
  EMPTY_IMAGE: 422,
  NO_FACE: 422,
  INVALID_OPTIONS: 400,
  ENGINE_CLOSED: 503,
  // The photo may be what killed the thread: a client error, so it is not retried blindly.
  ENGINE_CRASHED: 422,
  INTERNAL: 500,
};
