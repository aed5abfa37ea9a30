/**
 * What a queue worker does with one scan: pick the model versions (A/B arm, shadow candidates),
 * look the result up in the cache or run the engine, record the outcome in the scan row, and
 * delete the upload unless the user asked to keep it. Safe to run twice on the same scan
 * (crash recovery, a BullMQ retry): each step is conditional on the row still being in `processing`.
 */
import type { FastifyBaseLogger } from 'fastify';
import { toErrorInfo, type Analyzer, type ModelTask } from '../engine/api.ts';
import type { ErrorCode } from '../contract/errors.ts';
import { assignVersions, shadowFor, type AbSplit, type ModelVersions } from './ab.ts';
import { cacheKey, packEntry, unpackEntry, type ResultCache } from './cache.ts';
import { splitGeometry } from './geometry.ts';
import { metrics, observeResult } from './metrics.ts';
import type { ScanJob } from './queue/types.ts';
import type { ImageStore } from './storage/images.ts';
import type { ScanRepo } from './storage/scans.ts';

export interface ProcessorDeps {
  analyzer: Analyzer;
  scans: ScanRepo;
  images: ImageStore;
  clock: () => Date;
  log: FastifyBaseLogger;
  cache?: ResultCache | null;
  models?: { abSplit: AbSplit; shadow: ModelVersions };
  /** Keep the face mesh and region polygons in the stored result (SKINSIGHT_STORE_LANDMARKS). */
  storeLandmarks?: boolean;
  /** Test hook: wait this long after analysing, before saving (makes "killed mid-analysis" deterministic). */
  holdMs?: number;
  /**
   * Analysis attempts per scan, in both queue modes (SKINSIGHT_JOB_ATTEMPTS). A try that kills
   * the process counts too (the count is saved before the engine runs), so a photo that crashes
   * the service is given up on instead of crashing it at every start.
   */
  maxAttempts?: number;
  /** Throw when the engine is closing (BullMQ then retries the job elsewhere) instead of leaving it for start-up recovery. */
  throwWhenClosing?: boolean;
  /** Told each final outcome once it is saved (the webhook outbox); its failure never fails the scan. */
  onFinished?: (scan: { id: string; status: 'completed' | 'failed'; error: { code: string; message: string } | null }) => Promise<void>;
}

/** Versions a request runs with: its A/B arm, else the engine's current default (reloads change it). */
export function effectiveVersions(analyzer: Analyzer, pinned: ModelVersions): ModelVersions {
  const out: ModelVersions = {};
  for (const m of analyzer.info().models) out[m.task as ModelTask] = pinned[m.task as ModelTask] ?? (m.available ? m.version : 'none');
  return out;
}

export interface Outcome {
  resultJson: string;
  shadowJson: string | null;
  cacheKey: string | null;
  cached: boolean;
}

/**
 * Analyse (or find in the cache) one image for one user. Throws the engine's errors.
 * The cache key includes the user: a hit never tells one user that another analysed the same
 * photo (a hit answers in a few ms, a miss in tens).
 */
export async function analyzeWithCache(
  deps: Pick<ProcessorDeps, 'analyzer' | 'cache' | 'models'>,
  bytes: Uint8Array,
  userId: string,
  closeup: boolean,
): Promise<Outcome> {
  const pinned = deps.models ? assignVersions(deps.models.abSplit, userId) : {};
  const shadow = deps.models ? shadowFor(deps.models.shadow, pinned) : {};
  const key = deps.cache ? cacheKey(bytes, { owner: userId, versions: effectiveVersions(deps.analyzer, pinned), shadow, closeup }) : null;
  if (key && deps.cache) {
    const hit = await deps.cache.get(key);
    if (hit) return { ...unpackEntry(hit), cacheKey: key, cached: true };
  }
  // Shadow predictions are stored apart and never reach the public result.
  const { shadow: shadowPreds, ...result } = await deps.analyzer.analyze(bytes, { closeup, modelVersions: pinned, shadowVersions: shadow });
  observeResult(result, shadowPreds);
  const resultJson = JSON.stringify(result);
  const shadowJson = shadowPreds && shadowPreds.length > 0 ? JSON.stringify(shadowPreds) : null;
  if (key && deps.cache) await deps.cache.set(key, packEntry(resultJson, shadowJson));
  return { resultJson, shadowJson, cacheKey: key, cached: false };
}

const seconds = (from: string, to: string | Date) => Math.max(0, (new Date(to).getTime() - Date.parse(from)) / 1000);

/** A first attempt starts: how long the scan waited for its photo, then for a worker. */
function observeStart(scan: { created_at: string; uploaded_at: string | null }, now: Date) {
  if (!scan.uploaded_at) return;
  metrics.stateDuration.observe({ state: 'pending', outcome: 'uploaded' }, seconds(scan.created_at, scan.uploaded_at));
  metrics.queueWait.observe(seconds(scan.uploaded_at, now));
}

type Finished = Parameters<NonNullable<ProcessorDeps['onFinished']>>[0];

export function createScanProcessor(deps: ProcessorDeps) {
  const { scans, images, clock, log } = deps;

  /** Record a failure; returns the outcome to announce (null when the scan was no longer processing). */
  async function fail(id: string, code: ErrorCode, message: string): Promise<Finished | null> {
    const saved = await scans.fail(id, code, message, clock().toISOString());
    return saved !== false ? { id, status: 'failed', error: { code, message } } : null;
  }

  /** Metrics and the webhook event, only once the outcome is saved and an unstored upload is gone. */
  async function notify(outcome: Finished | null) {
    if (!outcome) return;
    try {
      const scan = await scans.get(outcome.id);
      if (scan?.uploaded_at && scan.completed_at) {
        metrics.stateDuration.observe({ state: 'processing', outcome: outcome.status }, seconds(scan.uploaded_at, scan.completed_at));
      }
      await deps.onFinished?.(outcome);
    } catch (err) {
      log.error({ scanId: outcome.id, err: String(err) }, 'could not record the webhook event');
    }
  }

  return async function processScan(job: ScanJob): Promise<void> {
    const scan = await scans.get(job.scanId);
    // Deleted meanwhile, or already finished by an earlier attempt: nothing to do.
    if (!scan || scan.status !== 'processing') return;
    const key = scan.image_key;
    if (deps.maxAttempts !== undefined && scan.attempts >= deps.maxAttempts) {
      metrics.errors.inc({ code: 'ANALYSIS_ABORTED', source: 'analysis' });
      const aborted = await fail(scan.id, 'ANALYSIS_ABORTED', `the analysis was interrupted ${scan.attempts} times; upload the photo again or try another one`);
      await dropUnstoredUpload(scan, key);
      await notify(aborted);
      log.warn({ scanId: scan.id, attempts: scan.attempts }, 'scan given up after its last attempt');
      return;
    }
    await scans.countAttempt(scan.id);
    if (scan.attempts === 0) observeStart(scan, clock());

    let bytes = job.bytes ?? null;
    if (!bytes && key) bytes = await images.get(key);
    if (!bytes) {
      await notify(await fail(scan.id, 'INTERNAL', 'the uploaded image was lost before analysis'));
      metrics.errors.inc({ code: 'INTERNAL', source: 'analysis' });
      return;
    }

    const started = performance.now();
    let finished: Finished | null = null;
    try {
      const outcome = await analyzeWithCache(deps, bytes, scan.user_id, scan.closeup === 1);
      if (deps.holdMs) {
        log.warn({ scanId: scan.id, holdMs: deps.holdMs }, 'debug hold: analysis done, holding before saving');
        await new Promise((r) => setTimeout(r, deps.holdMs));
      }
      const stored = deps.storeLandmarks ? { resultJson: outcome.resultJson, geometryJson: null } : splitGeometry(outcome.resultJson);
      const saved = await scans.complete(scan.id, stored.resultJson, clock().toISOString(), {
        shadowJson: outcome.shadowJson,
        cacheKey: outcome.cacheKey,
        geometryJson: stored.geometryJson,
      });
      // A scan deleted while analysing must not leave its result in the cache.
      if (!saved && outcome.cacheKey && deps.cache && !(await scans.get(scan.id))) await deps.cache.delete([outcome.cacheKey]);
      log.info({ scanId: scan.id, ms: Math.round(performance.now() - started), cached: outcome.cached }, 'scan completed');
      if (saved) finished = { id: scan.id, status: 'completed', error: null };
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'ENGINE_CLOSED') {
        if (deps.throwWhenClosing) throw err;
        // Shutting down: leave the scan in processing with its upload; the next start re-queues it.
        log.warn({ scanId: scan.id }, 'engine closed mid-scan; left for recovery');
        return;
      }
      if (info.code === 'INTERNAL') log.error({ scanId: scan.id, err }, 'scan failed with an internal error');
      else log.info({ scanId: scan.id, code: info.code }, 'scan failed');
      metrics.errors.inc({ code: info.code, source: 'analysis' });
      finished = await fail(scan.id, info.code, info.message);
    }

    // Only now, with the outcome durable, may an unstored upload go.
    await dropUnstoredUpload(scan, key);
    await notify(finished);
  };

  async function dropUnstoredUpload(scan: { id: string; store_image: number }, key: string | null) {
    if (key && scan.store_image !== 1) {
      await images.delete(key);
      await scans.clearImage(scan.id);
    }
  }
}
