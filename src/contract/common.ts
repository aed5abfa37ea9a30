/** Shapes every part of the HTTP API shares: ids, timestamps, scan states and the error body. */
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';

/** A UUID, checked by the HTTP validator's `uuid` format (any version: ids are UUIDv4 today). */
export const Uuid = z.string().meta({ format: 'uuid' });
/** An ISO-8601 UTC timestamp, as the database stores it. */
export const Timestamp = z.string().meta({ format: 'date-time' });

export const ScanStatus = z.enum(['pending', 'processing', 'completed', 'failed']);
export type ScanStatus = z.infer<typeof ScanStatus>;

export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** A code and a message for people: what failed. */
export const ErrorInfo = z.object({ code: ErrorCodeSchema, message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** Every error response: `{error: {code, message}}`, with the scan's id and state when a scan is concerned. */
export const ErrorBody = z.object({ error: ErrorInfo, scan_id: z.string().optional(), status: ScanStatus.optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;
