/**
 * POST /api/v1/analyze: server-to-server, one request in, one answer out. Several files in one
 * multipart body are analysed together (the pool runs them in parallel) and each gets its own
 * result or error; nothing is stored.
 */
import type { FastifyInstance } from 'fastify';
import { AnalyzeQuery, AnalyzeResponse, type AnalyzeItem } from '../../contract/analyze.ts';
import { ERRORS } from '../../contract/errors.ts';
import { toErrorInfo } from '../../engine/api.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';
import { fingerprintOf, multipartParts } from '../idempotency.ts';
import { flag, readMultipart, type UploadedFile } from '../multipart.ts';
import { QueueFullError } from '../queue/types.ts';
import { API_KEY, IDEMPOTENT, MULTIPART } from '../route-errors.ts';
import { apiKeySecurity, idempotencyHeaders, passthroughSerializer, querySchema, responseSchema } from '../schemas.ts';
import { sniffImageFormat } from '../sniff.ts';
import { MULTIPART_OVERHEAD_BYTES } from './scans.ts';

/** Per-file codes that say nothing about the file: a retry may well succeed. */
const TRANSIENT: ReadonlySet<string> = new Set(['INTERNAL', 'ENGINE_CLOSED', 'ENGINE_CRASHED', 'QUEUE_FULL']);

export async function analyzeRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  // Images being analysed here, counted against the same capacity as the scan queue.
  let inFlight = 0;

  async function analyzeOne(file: UploadedFile, index: number, closeup: boolean): Promise<AnalyzeItem> {
    const base = { index, filename: file.filename };
    if (file.tooLarge) {
      return { ...base, error: { code: 'IMAGE_TOO_LARGE', message: `the file is over ${ctx.config.uploadLimitBytes} bytes` } };
    }
    if (file.bytes.length === 0) return { ...base, error: { code: 'EMPTY_IMAGE', message: ERRORS.EMPTY_IMAGE.message } };
    if (!sniffImageFormat(file.bytes)) return { ...base, error: { code: 'UNSUPPORTED_FORMAT', message: ERRORS.UNSUPPORTED_FORMAT.message } };
    try {
      return { ...base, result: await ctx.analyzer.analyze(file.bytes, { closeup }) };
    } catch (err) {
      return { ...base, error: toErrorInfo(err) };
    }
  }

  app.post<{ Querystring: AnalyzeQuery }>(
    '/api/v1/analyze',
    {
      preHandler: app.authenticateApiKey,
      config: {
        maxBodyBytes: ctx.config.maxFilesPerRequest * ctx.config.uploadLimitBytes + MULTIPART_OVERHEAD_BYTES,
        errors: [...API_KEY, ...IDEMPOTENT, ...MULTIPART, 'QUEUE_FULL'],
      },
      serializerCompiler: passthroughSerializer,
      schema: {
        tags: ['analyze'],
        summary: 'Analyse one or more photos at once (API key); one result or error per file',
        description:
          'Multipart body with one or more file parts (any field name, e.g. `file` or `files`). ' +
          'Files over the size limit, of another format, or that the engine refuses get an `error` entry; ' +
          'the others a `result`. Nothing is stored, except with an `Idempotency-Key`: then the response is kept 24 h to be replayed.',
        security: apiKeySecurity,
        consumes: ['multipart/form-data'],
        headers: idempotencyHeaders,
        querystring: querySchema(AnalyzeQuery),
        response: {
          200: responseSchema(AnalyzeResponse),
        },
      },
    },
    async (request, reply) => {
      const body = await readMultipart(request, {
        fileSize: ctx.config.uploadLimitBytes,
        maxFiles: ctx.config.maxFilesPerRequest,
        tooLarge: 'mark',
      });
      if (body.files.length === 0) throw new HttpError('MISSING_FILE', 'at least one file part is required');
      const fingerprint = fingerprintOf(request.query, multipartParts(body));
      const claimed = await ctx.idempotency.begin(request, reply, { principal: `key:${request.apiKeyId}`, userId: null, scanId: null, fingerprint });
      if (claimed === 'answered') return reply;
      const n = body.files.length;
      if (ctx.queue.depth() + inFlight + n > ctx.queue.capacity) throw new QueueFullError(1);
      inFlight += n;
      try {
        const closeup = flag(body.fields.closeup ?? request.query.closeup);
        const results = await Promise.all(body.files.map((f, i) => analyzeOne(f, i, closeup)));
        // A file that failed for the service's sake (engine down or crashed, a timeout) must be
        // analysed again on a retry: such an answer is not kept under the Idempotency-Key.
        if (request.idempotency && results.some((r) => r.error && TRANSIENT.has(r.error.code))) request.idempotency.retryable = true;
        return JSON.stringify({ results } satisfies AnalyzeResponse);
      } finally {
        inFlight -= n;
      }
    },
  );
}
