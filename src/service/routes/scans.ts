/** The scan resource: init, upload, status, results, history, image, delete. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isErrorCode } from '../../engine/api.ts';
import { ENGINE_ERROR_STATUS } from '../engine-status.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError, errorBody, notFound } from '../http-errors.ts';
import { flag, readMultipart } from '../multipart.ts';
import {
  bearerSecurity,
  errors,
  passthroughSerializer,
  resultRef,
  scanIdParams,
  scanStatusEnum,
  scanStatusSchema,
} from '../schemas.ts';
import { MIME_TYPES, sniffImageFormat, type ImageFormat } from '../sniff.ts';
import { checkpointAfterDelete } from '../storage/db.ts';
import { imageKeyFor } from '../storage/images.ts';
import { joinGeometry } from '../geometry.ts';
import type { Scan } from '../storage/scans.ts';

interface ScanParams {
  scan_id: string;
}

const DAY_MS = 86_400_000;
/** Room for the form fields and part headers around the file(s) of a multipart body. */
export const MULTIPART_OVERHEAD_BYTES = 256 * 1024;

export function statusView(scan: Scan) {
  return {
    scan_id: scan.id,
    status: scan.status,
    created_at: scan.created_at,
    updated_at: scan.updated_at,
    uploaded_at: scan.uploaded_at,
    completed_at: scan.completed_at,
    image_stored: scan.store_image === 1 && scan.image_key !== null,
    image_expires_at: scan.store_image === 1 ? scan.image_expires_at : null,
    error: scan.status === 'failed' ? { code: scan.error_code ?? 'INTERNAL', message: scan.error_message ?? '' } : null,
  };
}

/**
 * HTTP status for a failed scan's code: the service's mapping of engine codes, 422 for anything else. A
 * failed scan is a final state the request read correctly, so it is never a 5xx (a 5xx would
 * tell clients to retry a read that will answer the same forever).
 */
function failureStatus(code: string | null): number {
  const status = isErrorCode(code) ? ENGINE_ERROR_STATUS[code] : 422;
  return status >= 500 ? 422 : status;
}

/**
 * The body for a scan's outcome: the result when completed (spliced in from the stored JSON
 * text, never re-parsed), the failure when failed, 409 while not finished.
 */
export function sendOutcome(reply: FastifyReply, scan: Scan, whilePending: 202 | 409) {
  if (scan.status === 'completed') {
    const head = JSON.stringify({ scan_id: scan.id, status: scan.status, created_at: scan.created_at, completed_at: scan.completed_at });
    return reply.code(200).type('application/json').send(`${head.slice(0, -1)},"result":${joinGeometry(scan.result_json!, scan.geometry_json)}}`);
  }
  if (scan.status === 'failed') {
    return reply
      .code(failureStatus(scan.error_code))
      .send(errorBody(scan.error_code ?? 'INTERNAL', scan.error_message ?? 'analysis failed', { scan_id: scan.id, status: scan.status }));
  }
  if (whilePending === 202) return reply.code(202).send({ scan_id: scan.id, status: scan.status });
  return reply
    .code(409)
    .send(errorBody('SCAN_NOT_COMPLETED', `the scan is ${scan.status}; results are available once it is completed`, { scan_id: scan.id, status: scan.status }));
}

/** A small digest of a result for history lists, so a page does not carry every landmark. */
function summary(resultJson: string | null) {
  if (!resultJson) return null;
  const r = JSON.parse(resultJson);
  const acne = r.ml_analysis?.acne_analysis;
  const cond = r.ml_analysis?.condition_analysis;
  const type = r.cv_analysis?.skin_type;
  const tone = r.cv_analysis?.skin_tone;
  return {
    confidence: r.confidence ?? null,
    acne_detected: acne?.available ? acne.detected : null,
    condition: cond?.available ? cond.condition : null,
    skin_type: type?.available ? type.type : null,
    monk_tone: tone?.available ? tone.monk_tone : null,
    quality_passed: r.quality?.passed ?? null,
  };
}

export async function scanRoutes(app: FastifyInstance, opts: { ctx: ServiceContext }) {
  const { ctx } = opts;
  const { scans, images, queue, config } = ctx;

  async function ownedScan(id: string, userId: string): Promise<Scan> {
    const scan = await scans.getOwned(id, userId);
    if (!scan) throw notFound();
    return scan;
  }

  app.post(
    '/api/v1/scan/init',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['scans'],
        summary: 'Start a scan; upload its photo next',
        security: bearerSecurity,
        response: {
          201: {
            type: 'object',
            required: ['scan_id', 'status', 'created_at'],
            properties: { scan_id: { type: 'string', format: 'uuid' }, status: scanStatusEnum, created_at: { type: 'string' } },
          },
          ...errors(401, 429),
        },
      },
    },
    async (request, reply) => {
      const id = crypto.randomUUID();
      const now = ctx.clock().toISOString();
      await scans.create({ id, userId: request.user.sub, now });
      return reply.code(201).send({ scan_id: id, status: 'pending', created_at: now });
    },
  );

  app.post<{ Params: ScanParams; Querystring: { wait?: boolean; consent?: string; store_image?: string; closeup?: string } }>(
    '/api/v1/scan/:scan_id/upload',
    {
      preHandler: app.authenticate,
      config: { maxBodyBytes: config.uploadLimitBytes + MULTIPART_OVERHEAD_BYTES, tooLargeCode: 'IMAGE_TOO_LARGE' },
      serializerCompiler: passthroughSerializer,
      schema: {
        tags: ['scans'],
        summary: 'Upload the photo (multipart field `file`, with `consent=true`) and start the analysis',
        description:
          'Fields: `file` (JPEG, PNG or WebP, detected from the bytes), `consent` (must be `true`), ' +
          '`store_image` (`true` keeps the photo for the retention period; otherwise it is deleted when the analysis ends), ' +
          '`closeup` (`true` for a close-up of skin without a face). The flags may also be query parameters. ' +
          'Returns 202 at once; with `?wait=true` the response carries the finished result (200) or the failure.',
        security: bearerSecurity,
        consumes: ['multipart/form-data'],
        params: scanIdParams,
        querystring: {
          type: 'object',
          properties: {
            wait: { type: 'boolean', default: false },
            consent: { type: 'string' },
            store_image: { type: 'string' },
            closeup: { type: 'string' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { scan_id: { type: 'string' }, status: scanStatusEnum, completed_at: { type: 'string' }, result: resultRef },
          },
          202: { type: 'object', properties: { scan_id: { type: 'string' }, status: scanStatusEnum } },
          ...errors(400, 401, 404, 409, 413, 415, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const scan = await ownedScan(request.params.scan_id, request.user.sub);
      if (scan.status !== 'pending') {
        throw new HttpError(409, 'SCAN_ALREADY_UPLOADED', `the scan is already ${scan.status}; start a new scan`, {
          scan_id: scan.id,
          status: scan.status,
        });
      }
      const body = await readMultipart(request, { fileSize: config.uploadLimitBytes, maxFiles: 1, tooLarge: 'throw' });
      const fields = { ...request.query, ...body.fields };
      const file = body.files.find((f) => f.field === 'file') ?? body.files[0];
      if (!file) throw new HttpError(400, 'MISSING_FILE', 'the multipart field `file` is required');
      if (!flag(fields.consent)) {
        throw new HttpError(400, 'CONSENT_REQUIRED', 'consent=true is required to analyse a photo');
      }
      if (file.bytes.length === 0) throw new HttpError(422, 'EMPTY_IMAGE', 'the file is empty');
      const format = sniffImageFormat(file.bytes);
      if (!format) throw new HttpError(415, 'UNSUPPORTED_FORMAT', 'the file is not a JPEG, PNG or WebP image');

      const reservation = queue.reserve();
      let handle;
      try {
        await acceptUpload(scan, file.bytes, format, flag(fields.store_image), flag(fields.closeup));
        handle = reservation.submit({ scanId: scan.id, bytes: file.bytes });
      } finally {
        reservation.release();
      }

      if (!request.query.wait) return reply.code(202).send({ scan_id: scan.id, status: 'processing' });
      const done = await within(handle.finished, config.waitTimeoutMs);
      const latest = await scans.get(scan.id);
      if (!latest) throw notFound();
      if (!done && latest.status === 'processing') request.log.warn({ scanId: scan.id }, 'wait=true timed out; answering 202');
      return sendOutcome(reply, latest, 202);
    },
  );

  /** Store the upload, then mark the scan processing: the row never points at a missing file. */
  async function acceptUpload(scan: Scan, bytes: Buffer, format: ImageFormat, storeImage: boolean, closeup: boolean) {
    const key = imageKeyFor(scan.id);
    const now = ctx.clock();
    await images.put(key, bytes);
    const ok = await scans.markProcessing(scan.id, {
      imageKey: key,
      format,
      size: bytes.length,
      storeImage,
      closeup,
      imageExpiresAt: storeImage ? new Date(now.getTime() + config.retention.days * DAY_MS).toISOString() : null,
      now: now.toISOString(),
    });
    if (!ok) {
      // Another upload won the race, or the scan was deleted meanwhile.
      await images.delete(key);
      throw new HttpError(409, 'SCAN_ALREADY_UPLOADED', 'the scan is no longer pending');
    }
  }

  app.get<{ Params: ScanParams }>(
    '/api/v1/scan/:scan_id/status',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['scans'],
        summary: "A scan's status; the failure code and reason when it failed",
        security: bearerSecurity,
        params: scanIdParams,
        response: { 200: scanStatusSchema, ...errors(400, 401, 404, 429) },
      },
    },
    async (request) => statusView(await ownedScan(request.params.scan_id, request.user.sub)),
  );

  app.get<{ Params: ScanParams }>(
    '/api/v1/scan/:scan_id/results',
    {
      preHandler: app.authenticate,
      serializerCompiler: passthroughSerializer,
      schema: {
        tags: ['scans'],
        summary: "A completed scan's result; 409 with the status while it is not completed; the failure when it failed",
        security: bearerSecurity,
        params: scanIdParams,
        response: {
          200: {
            type: 'object',
            required: ['scan_id', 'status', 'result'],
            properties: {
              scan_id: { type: 'string' },
              status: scanStatusEnum,
              created_at: { type: 'string' },
              completed_at: { type: 'string' },
              result: resultRef,
            },
          },
          ...errors(400, 401, 404, 409, 415, 422, 429),
        },
      },
    },
    async (request, reply) => sendOutcome(reply, await ownedScan(request.params.scan_id, request.user.sub), 409),
  );

  app.get<{ Params: ScanParams }>(
    '/api/v1/scan/:scan_id/image',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['scans'],
        summary: 'The stored photo of a scan (only when it was uploaded with store_image=true and has not expired)',
        security: bearerSecurity,
        params: scanIdParams,
        produces: ['image/jpeg', 'image/png', 'image/webp'],
        response: { ...errors(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      const scan = await ownedScan(request.params.scan_id, request.user.sub);
      // An unstored upload exists only while analysing; it is never served.
      const bytes = scan.store_image === 1 && scan.image_key ? await images.get(scan.image_key) : null;
      if (!bytes) throw notFound('image');
      const type = MIME_TYPES[(scan.image_format as ImageFormat) ?? 'jpeg'] ?? 'application/octet-stream';
      return reply.type(type).header('cache-control', 'private, no-store').send(Buffer.from(bytes));
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/api/v1/scan/history',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['scans'],
        summary: "The user's scans, newest first, paginated",
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            // Bounded so it stays a safe integer for the database driver.
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              scans: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    ...scanStatusSchema.properties,
                    summary: {
                      type: ['object', 'null'],
                      properties: {
                        confidence: { type: ['number', 'null'] },
                        acne_detected: { type: ['boolean', 'null'] },
                        condition: { type: ['string', 'null'] },
                        skin_type: { type: ['string', 'null'] },
                        monk_tone: { type: ['integer', 'null'] },
                        quality_passed: { type: ['boolean', 'null'] },
                      },
                    },
                  },
                },
              },
              total: { type: 'integer' },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
              has_more: { type: 'boolean' },
            },
          },
          ...errors(400, 401, 429),
        },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      const page = await scans.history(request.user.sub, limit, offset);
      return {
        scans: page.scans.map((s) => ({ ...statusView(s), summary: summary(s.result_json) })),
        total: page.total,
        limit,
        offset,
        has_more: offset + page.scans.length < page.total,
      };
    },
  );

  app.delete<{ Params: ScanParams }>(
    '/api/v1/scan/:scan_id',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['scans'],
        summary: 'Delete a scan: its row, result and image',
        security: bearerSecurity,
        params: scanIdParams,
        response: {
          200: { type: 'object', properties: { scan_id: { type: 'string' }, deleted: { type: 'boolean' } } },
          ...errors(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const scan = await ownedScan(request.params.scan_id, request.user.sub);
      await scans.delete(scan.id);
      await checkpointAfterDelete(ctx.db);
      // The key is derived from the id, so even an upload racing this delete leaves no file.
      await images.delete(imageKeyFor(scan.id));
      // The cached result is derived from the photo: it goes with the scan.
      if (scan.cache_key && ctx.cache) await ctx.cache.delete([scan.cache_key]);
      return { scan_id: scan.id, deleted: true };
    },
  );
}

/** True if the promise settled within ms; the timer is cleared either way. */
function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
