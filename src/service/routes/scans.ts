/** The scan resource: init, upload, status, results, history, trends, image, delete. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  HistoryPage,
  HistoryQuery,
  ScanAccepted,
  ScanCreated,
  ScanDeleted,
  ScanIdParams,
  ScanResults,
  ScanStatusView,
  ScanSummary,
  Trends,
  TrendsQuery,
  UploadQuery,
} from '../../contract/scans.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError, sendError, storedCode } from '../http-errors.ts';
import { flag, readMultipart } from '../multipart.ts';
import { BEARER, IDEMPOTENT, MULTIPART, failedScanStatus } from '../route-errors.ts';
import { bearerSecurity, idempotencyHeaders, passthroughSerializer, querySchema, responseSchema } from '../schemas.ts';
import { stripImageMetadata } from '../../engine/api.ts';
import { MIME_TYPES, sniffImageFormat, type ImageFormat } from '../sniff.ts';
import { checkpointAfterDelete } from '../storage/db.ts';
import { imageKeyFor } from '../storage/images.ts';
import { joinGeometry } from '../geometry.ts';
import { fingerprintOf, idempotencyKeyOf, multipartParts } from '../idempotency.ts';
import type { Scan } from '../storage/scans.ts';
import { parseResult } from '../stored-result.ts';
import { markChanges, mdcTable, scoreValues, trendScores } from '../trends.ts';

const DAY_MS = 86_400_000;
/** Seconds a user at their limit of scans in flight is asked to wait: about one analysis under load. */
const SCAN_RETRY_AFTER_S = 5;
/** Room for the form fields and part headers around the file(s) of a multipart body. */
export const MULTIPART_OVERHEAD_BYTES = 256 * 1024;

export function statusView(scan: Scan): ScanStatusView {
  return {
    scan_id: scan.id,
    status: scan.status,
    created_at: scan.created_at,
    updated_at: scan.updated_at,
    uploaded_at: scan.uploaded_at,
    completed_at: scan.completed_at,
    image_stored: scan.store_image === 1 && scan.image_key !== null,
    image_expires_at: scan.store_image === 1 ? scan.image_expires_at : null,
    error: scan.status === 'failed' ? { code: storedCode(scan.error_code), message: scan.error_message ?? '' } : null,
  };
}

/**
 * The body for a scan's outcome: the result when completed (spliced in from the stored JSON
 * text, never re-parsed), the failure when failed, 409 while not finished. `resultJson`: the
 * full result text when the caller has it already (a `?wait=true` upload analysed here).
 */
export function sendOutcome(reply: FastifyReply, scan: Scan, whilePending: 202 | 409, resultJson?: string) {
  if (scan.status === 'completed') {
    const fields: Omit<ScanResults, 'result'> = { scan_id: scan.id, status: 'completed', created_at: scan.created_at, completed_at: scan.completed_at! };
    const head = JSON.stringify(fields);
    // A replay of this answer (Idempotency-Key) is kept 24 h: keep it without the face mesh.
    if (reply.request.idempotency) reply.request.idempotency.storedBody = `${head.slice(0, -1)},"result":${scan.result_json!}}`;
    const full = resultJson ?? joinGeometry(scan.result_json!, scan.geometry_json);
    return reply.code(200).type('application/json').send(`${head.slice(0, -1)},"result":${full}}`);
  }
  if (scan.status === 'failed') {
    const code = storedCode(scan.error_code);
    return sendError(reply, code, scan.error_message ?? 'analysis failed', { scan_id: scan.id, status: scan.status }, failedScanStatus(code));
  }
  if (whilePending === 202) return reply.code(202).send({ scan_id: scan.id, status: scan.status } satisfies ScanAccepted);
  const message = `the scan is ${scan.status}; results are available once it is completed`;
  return sendError(reply, 'SCAN_NOT_COMPLETED', message, { scan_id: scan.id, status: scan.status });
}

/** A small digest of a result for history lists, so a page does not carry every landmark. */
function summary(resultJson: string | null): ScanSummary | null {
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
    if (!scan) throw new HttpError('SCAN_NOT_FOUND');
    return scan;
  }

  app.post(
    '/api/v1/scan/init',
    {
      preHandler: app.authenticate,
      config: { errors: [...BEARER, ...IDEMPOTENT] },
      schema: {
        tags: ['scans'],
        summary: 'Start a scan; upload its photo next',
        security: bearerSecurity,
        headers: idempotencyHeaders,
        response: { 201: responseSchema(ScanCreated) },
      },
    },
    async (request, reply) => {
      const userId = request.user.sub;
      const claimed = await ctx.idempotency.begin(request, reply, { principal: `user:${userId}`, userId, scanId: null, fingerprint: fingerprintOf(request.query) });
      if (claimed === 'answered') return reply;
      const id = crypto.randomUUID();
      if (request.idempotency) request.idempotency.scanId = id;
      const now = ctx.clock().toISOString();
      await scans.create({ id, userId, now });
      return reply.code(201).send({ scan_id: id, status: 'pending', created_at: now } satisfies ScanCreated);
    },
  );

  app.post<{ Params: ScanIdParams; Querystring: UploadQuery }>(
    '/api/v1/scan/:scan_id/upload',
    {
      preHandler: app.authenticate,
      config: {
        maxBodyBytes: config.uploadLimitBytes + MULTIPART_OVERHEAD_BYTES,
        tooLargeCode: 'IMAGE_TOO_LARGE',
        errors: [...BEARER, ...IDEMPOTENT, ...MULTIPART, 'SCAN_NOT_FOUND', 'SCAN_ALREADY_UPLOADED', 'IMAGE_TOO_LARGE', 'CONSENT_REQUIRED', 'EMPTY_IMAGE', 'UNSUPPORTED_FORMAT', 'QUEUE_FULL', 'TOO_MANY_SCANS'],
        scanFailures: true,
      },
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
        headers: idempotencyHeaders,
        params: responseSchema(ScanIdParams),
        querystring: querySchema(UploadQuery),
        response: {
          200: responseSchema(ScanResults),
          202: responseSchema(ScanAccepted),
        },
      },
    },
    async (request, reply) => {
      const userId = request.user.sub;
      let scan = await ownedScan(request.params.scan_id, userId);
      // With an Idempotency-Key a repeat must reach the replay, so the check waits for the claim.
      const keyed = idempotencyKeyOf(request) !== null;
      if (!keyed) {
        assertPending(scan);
        // Before a byte of the body is read: a full account costs nothing to refuse.
        await assertRoomForScan(userId);
      }
      const body = await readMultipart(request, { fileSize: config.uploadLimitBytes, maxFiles: 1, tooLarge: 'throw' });
      if (keyed) {
        // `wait` is how long to listen, not what to do: a retry may change it and still replay.
        const { wait: _wait, ...query } = request.query;
        const fingerprint = fingerprintOf(scan.id, query, multipartParts(body));
        const claimed = await ctx.idempotency.begin(request, reply, { principal: `user:${userId}`, userId, scanId: scan.id, fingerprint });
        if (claimed === 'answered') return reply;
        scan = await ownedScan(scan.id, userId);
        assertPending(scan);
        await assertRoomForScan(userId);
      }
      const fields = { ...request.query, ...body.fields };
      const file = body.files.find((f) => f.field === 'file') ?? body.files[0];
      if (!file) throw new HttpError('MISSING_FILE');
      if (!flag(fields.consent)) {
        throw new HttpError('CONSENT_REQUIRED');
      }
      if (file.bytes.length === 0) throw new HttpError('EMPTY_IMAGE');
      const format = sniffImageFormat(file.bytes);
      if (!format) throw new HttpError('UNSUPPORTED_FORMAT');

      // Kept and analysed without its metadata (GPS, times, serial numbers, thumbnails); the
      // pixels, profile and orientation are the upload's (engine decode/metadata.ts).
      const photo = await stripImageMetadata(file.bytes);
      const reservation = queue.reserve();
      let handle;
      try {
        await acceptUpload(scan, photo, format, flag(fields.store_image), flag(fields.closeup));
        handle = reservation.submit({ scanId: scan.id, bytes: photo });
      } finally {
        reservation.release();
      }

      if (!request.query.wait) return reply.code(202).send({ scan_id: scan.id, status: 'processing' } satisfies ScanAccepted);
      const done = await within(handle.finished, config.waitTimeoutMs);
      // Analysed in this process: the saved row and the full text came back with the job. In
      // distributed mode the waiter hands back the finished row it read (no second SELECT).
      if (done && done.value) return sendOutcome(reply, done.value.scan, 202, done.value.responseResultJson);
      const latest = await scans.get(scan.id);
      if (!latest) throw new HttpError('SCAN_NOT_FOUND');
      if (!done && latest.status === 'processing') request.log.warn({ scanId: scan.id }, 'wait=true timed out; answering 202');
      return sendOutcome(reply, latest, 202);
    },
  );

  /** 429 TOO_MANY_SCANS when the user has as many scans queued or analysing as allowed. */
  async function assertRoomForScan(userId: string) {
    if (config.queue.perUser > 0 && (await scans.countInFlight(userId)) >= config.queue.perUser) throw tooManyScans();
  }

  function tooManyScans() {
    return new HttpError('TOO_MANY_SCANS', `this account has ${config.queue.perUser} scans being analysed; retry when one finishes`, {}, {
      'retry-after': String(SCAN_RETRY_AFTER_S),
    });
  }

  function assertPending(scan: Scan) {
    if (scan.status !== 'pending') {
      throw new HttpError('SCAN_ALREADY_UPLOADED', `the scan is already ${scan.status}; start a new scan`, {
        scan_id: scan.id,
        status: scan.status,
      });
    }
  }

  /** Store the upload, then mark the scan processing: the row never points at a missing file. */
  async function acceptUpload(scan: Scan, bytes: Uint8Array, format: ImageFormat, storeImage: boolean, closeup: boolean) {
    const key = imageKeyFor(scan.id);
    const now = ctx.clock();
    await images.put(key, bytes);
    const limit = config.queue.perUser > 0 ? { userId: scan.user_id, max: config.queue.perUser } : undefined;
    const ok = await scans.markProcessing(scan.id, {
      imageKey: key,
      format,
      size: bytes.length,
      storeImage,
      closeup,
      imageExpiresAt: storeImage ? new Date(now.getTime() + config.retention.days * DAY_MS).toISOString() : null,
      now: now.toISOString(),
    }, limit);
    if (!ok) {
      // The scan was deleted meanwhile (404, as for any missing scan), another upload won the
      // race, or another upload of this user's took the last place.
      await images.delete(key);
      const latest = await scans.get(scan.id);
      if (!latest) throw new HttpError('SCAN_NOT_FOUND');
      if (latest.status !== 'pending') throw new HttpError('SCAN_ALREADY_UPLOADED', 'the scan is no longer pending');
      throw tooManyScans();
    }
  }

  app.get<{ Params: ScanIdParams }>(
    '/api/v1/scan/:scan_id/status',
    {
      preHandler: app.authenticate,
      config: { errors: [...BEARER, 'SCAN_NOT_FOUND'] },
      schema: {
        tags: ['scans'],
        summary: "A scan's status; the failure code and reason when it failed",
        security: bearerSecurity,
        params: responseSchema(ScanIdParams),
        response: { 200: responseSchema(ScanStatusView) },
      },
    },
    async (request) => statusView(await ownedScan(request.params.scan_id, request.user.sub)),
  );

  app.get<{ Params: ScanIdParams }>(
    '/api/v1/scan/:scan_id/results',
    {
      preHandler: app.authenticate,
      config: { errors: [...BEARER, 'SCAN_NOT_FOUND', 'SCAN_NOT_COMPLETED'], scanFailures: true },
      serializerCompiler: passthroughSerializer,
      schema: {
        tags: ['scans'],
        summary: "A completed scan's result; 409 with the status while it is not completed; the failure when it failed",
        security: bearerSecurity,
        params: responseSchema(ScanIdParams),
        response: { 200: responseSchema(ScanResults) },
      },
    },
    async (request, reply) => sendOutcome(reply, await ownedScan(request.params.scan_id, request.user.sub), 409),
  );

  app.get<{ Params: ScanIdParams }>(
    '/api/v1/scan/:scan_id/image',
    {
      preHandler: app.authenticate,
      config: { errors: [...BEARER, 'SCAN_NOT_FOUND', 'IMAGE_NOT_FOUND'] },
      schema: {
        tags: ['scans'],
        summary: 'The stored photo of a scan (only when it was uploaded with store_image=true and has not expired)',
        security: bearerSecurity,
        params: responseSchema(ScanIdParams),
        produces: ['image/jpeg', 'image/png', 'image/webp'],
        response: {},
      },
    },
    async (request, reply) => {
      const scan = await ownedScan(request.params.scan_id, request.user.sub);
      // An unstored upload exists only while analysing; it is never served.
      const bytes = scan.store_image === 1 && scan.image_key ? await images.get(scan.image_key) : null;
      if (!bytes) throw new HttpError('IMAGE_NOT_FOUND');
      const type = MIME_TYPES[(scan.image_format as ImageFormat) ?? 'jpeg'] ?? 'application/octet-stream';
      return reply.type(type).header('cache-control', 'private, no-store').send(Buffer.from(bytes));
    },
  );

  app.get<{ Querystring: HistoryQuery }>(
    '/api/v1/scan/history',
    {
      preHandler: app.authenticate,
      config: { errors: BEARER },
      schema: {
        tags: ['scans'],
        summary: "The user's scans, newest first, paginated",
        security: bearerSecurity,
        querystring: querySchema(HistoryQuery),
        response: { 200: responseSchema(HistoryPage) },
      },
    },
    async (request): Promise<HistoryPage> => {
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

  app.get<{ Querystring: TrendsQuery }>(
    '/api/v1/scan/trends',
    {
      preHandler: app.authenticate,
      config: { errors: BEARER },
      schema: {
        tags: ['scans'],
        summary:
          "The main scores of the user's completed scans over time, oldest first (for a trend chart). `values` are the " +
          '0–100 scores; `changes` compares each with the previous scan and marks it `real` only above the minimal ' +
          'detectable change measured by npm run repeatability (`minimal_detectable_change`).',
        security: bearerSecurity,
        querystring: querySchema(TrendsQuery),
        response: { 200: responseSchema(Trends) },
      },
    },
    async (request): Promise<Trends> => {
      const rows = await scans.completedResults(request.user.sub, request.query.limit);
      const values = rows.map((r) => scoreValues(parseResult(r.result_json)));
      const mdc = mdcTable();
      const changes = markChanges(values, mdc);
      return {
        points: rows.map((r, i) => ({
          scan_id: r.id,
          completed_at: r.completed_at ?? '',
          scores: trendScores(r.result_json),
          values: values[i]!,
          changes: changes[i]!,
        })),
        minimal_detectable_change: mdc,
      };
    },
  );

  app.delete<{ Params: ScanIdParams }>(
    '/api/v1/scan/:scan_id',
    {
      preHandler: app.authenticate,
      config: { errors: [...BEARER, 'SCAN_NOT_FOUND'] },
      schema: {
        tags: ['scans'],
        summary: 'Delete a scan: its row, result and image',
        security: bearerSecurity,
        params: responseSchema(ScanIdParams),
        response: { 200: responseSchema(ScanDeleted) },
      },
    },
    async (request): Promise<ScanDeleted> => {
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

/** `{ value }` if the promise settled within ms, else null; the timer is cleared either way. */
function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  return Promise.race([promise.then((value) => ({ value })), timeout]).finally(() => clearTimeout(timer));
}
