/**
 * Reads a multipart body into memory under the configured limits. The size limit is enforced
 * while streaming (busboy stops counting at the limit), so an oversize upload never sits in memory.
 * The whole body is capped as well (the route's `maxBodyBytes`): a body without a declared
 * length that runs past it stops being read there, and is answered 413 (the connection closes).
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.ts';
import { payloadTooLarge } from './http-limits.ts';

export interface UploadedFile {
  field: string;
  filename: string;
  bytes: Buffer;
  /** True when the file went over the size limit (only with `tooLarge: 'mark'`). */
  tooLarge: boolean;
}

export interface MultipartBody {
  files: UploadedFile[];
  fields: Record<string, string>;
}

export async function readMultipart(
  request: FastifyRequest,
  opts: { fileSize: number; maxFiles: number; tooLarge: 'throw' | 'mark' },
): Promise<MultipartBody> {
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  // throwFileSizeLimit is honoured per call at run time, though the typings omit it there.
  const options = {
    limits: { fileSize: opts.fileSize, files: opts.maxFiles, fields: 20, fieldSize: 1024, parts: opts.maxFiles + 20 },
    throwFileSizeLimit: opts.tooLarge === 'throw',
  } as Parameters<FastifyRequest['parts']>[0];
  try {
    const parts = request.parts(options);
    const read = (async () => {
      for await (const part of parts) {
        if (part.type === 'file') {
          const bytes = await part.toBuffer();
          files.push({ field: part.fieldname, filename: part.filename, bytes, tooLarge: part.file.truncated });
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
    })();
    read.catch(() => {}); // when the cap wins the race, the abandoned read may fail later
    await Promise.race([read, capBody(request)]);
  } catch (err) {
    // Errors with a code (limits, not multipart) keep their mapping; busboy's parse errors
    // ("Unexpected end of form", "Multipart: Boundary not found") carry none and are the client's fault.
    if ((err as { code?: unknown }).code || (err as { statusCode?: unknown }).statusCode) throw err;
    throw new HttpError('INVALID_MULTIPART', `the multipart body is malformed: ${(err as Error).message}`);
  }
  return { files, fields };
}

/** Rejects once more than the route's maxBodyBytes have arrived, after stopping the reading. */
function capBody(request: FastifyRequest): Promise<never> {
  const max = request.routeOptions.config.maxBodyBytes;
  return new Promise((_, reject) => {
    if (max === undefined) return;
    let seen = 0;
    const count = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= max) return;
      request.raw.off('data', count);
      request.raw.unpipe();
      request.raw.pause();
      reject(payloadTooLarge(request));
    };
    // The parser is already piped: a second 'data' listener only counts.
    request.raw.on('data', count);
    request.raw.once('end', () => request.raw.off('data', count));
  });
}

/** A form or query flag: true only for an explicit yes. */
export function flag(value: unknown): boolean {
  return typeof value === 'string' ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : value === true;
}
