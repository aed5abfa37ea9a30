/**
 * Reads a multipart body into memory under the configured limits. The size limit is enforced
 * while streaming (busboy stops counting at the limit), so an oversize upload never sits in memory.
 */
import type { FastifyRequest } from 'fastify';

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
  const parts = request.parts(options);
  for await (const part of parts) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      files.push({ field: part.fieldname, filename: part.filename, bytes, tooLarge: part.file.truncated });
    } else {
      fields[part.fieldname] = String(part.value);
    }
  }
  return { files, fields };
}

/** A form or query flag: true only for an explicit yes. */
export function flag(value: unknown): boolean {
  return typeof value === 'string' ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : value === true;
}
