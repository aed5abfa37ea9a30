/**
 * POST /api/v1/analyze: server-to-server, one request in, one answer out. Several files in one
 * multipart body are analysed together (the pool runs them in parallel) and each gets its own
 * result or error; nothing is stored.
 */
import type { FastifyInstance } from 'fastify';
import { toErrorInfo } from '../../engine/api.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';
import { flag, readMultipart, type UploadedFile } from '../multipart.ts';
import { QueueFullError } from '../queue/types.ts';
import { apiKeySecurity, errors, passthroughSerializer, resultRef } from '../schemas.ts';
import { sniffImageFormat } from '../sniff.ts';
import { MULTIPART_OVERHEAD_BYTES } from './scans.ts';

type ItemOutcome = { index: number; filename: string; result?: unknown; error?: { code: string; message: string } };

export async function analyzeRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  // Images being analysed here, counted against the same capacity as the scan queue.
  let inFlight = 0;

  async function analyzeOne(file: UploadedFile, index: number, closeup: boolean): Promise<ItemOutcome> {
    const base = { index, filename: file.filename };
    if (file.tooLarge) {
      return { ...base, error: { code: 'IMAGE_TOO_LARGE', message: `the file is over ${ctx.config.uploadLimitBytes} bytes` } };
    }
    if (file.bytes.length === 0) return { ...base, error: { code: 'EMPTY_IMAGE', message: 'the file is empty' } };
    if (!sniffImageFormat(file.bytes)) {
      return { ...base, error: { code: 'UNSUPPORTED_FORMAT', message: 'the file is not a JPEG, PNG or WebP image' } };
    }
    try {
      return { ...base, result: await ctx.analyzer.analyze(file.bytes, { closeup }) };
    } catch (err) {
      return { ...base, error: toErrorInfo(err) };
    }
  }

  app.post<{ Querystring: { closeup?: string } }>(
    '/api/v1/analyze',
    {
      preHandler: app.authenticateApiKey,
      config: { maxBodyBytes: ctx.config.maxFilesPerRequest * ctx.config.uploadLimitBytes + MULTIPART_OVERHEAD_BYTES },
      serializerCompiler: passthroughSerializer,
      schema: {
        tags: ['analyze'],
        summary: 'Analyse one or more photos at once (API key); one result or error per file',
        description:
          'Multipart body with one or more file parts (any field name, e.g. `file` or `files`). ' +
          'Files over the size limit, of another format, or that the engine refuses get an `error` entry; ' +
          'the others a `result`. Nothing is stored.',
        security: apiKeySecurity,
        consumes: ['multipart/form-data'],
        querystring: { type: 'object', properties: { closeup: { type: 'string' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer' },
                    filename: { type: 'string' },
                    result: resultRef,
                    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
                  },
                },
              },
            },
          },
          ...errors(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const body = await readMultipart(request, {
        fileSize: ctx.config.uploadLimitBytes,
        maxFiles: ctx.config.maxFilesPerRequest,
        tooLarge: 'mark',
      });
      if (body.files.length === 0) throw new HttpError(400, 'MISSING_FILE', 'at least one file part is required');
      const n = body.files.length;
      if (ctx.queue.depth() + inFlight + n > ctx.queue.capacity) throw new QueueFullError(1);
      inFlight += n;
      try {
        const closeup = flag(body.fields.closeup ?? request.query.closeup);
        const results = await Promise.all(body.files.map((f, i) => analyzeOne(f, i, closeup)));
        return JSON.stringify({ results });
      } finally {
        inFlight -= n;
      }
    },
  );
}
