/**
 * What a queue worker does with one scan: pick the model versions (A/B arm, shadow candidates),
 * look the result up in the cache or run the engine, record the outcome in the scan row, and
 * delete the upload unless the user asked to keep it. Safe to run twice on the same scan
 * (crash recovery, a BullMQ retry): each step is conditional on the row still being in `processing`.
 * The outcome is saved and announced (webhook) by ScanOutcomes (outcomes.ts), the one place that does.
 *
 * Copies and JSON round trips: a fresh result is written as JSON text once for the response
 * (full) and once without its geometry for the row (splitGeometryOf, no parse), by the engine
 * pool's thread when the analyzer has analyzeText (result/text.ts), else here; the finished
 * row and the full text go back to a waiting `?wait=true` request in this process (FinishedScan),
 * which then needs neither a re-read of the row nor a re-join of the geometry.
 */
import type { FastifyBaseLogger } from 'fastify';
import { toErrorInfo, type Analyzer, type ModelTask } from '../engine/api.ts';
import type { ErrorCode } from '../contract/errors.ts';
import { assignVersions, shadowFor, type AbSplit, type ModelVersions } from './ab.ts';
import { cacheKey, packEntry, unpackEntry, type ResultCache } from './cache.ts';
import { GEOMETRY_KEEP_MS, splitGeometry, splitGeometryOf } from './geometry.ts';
import { metrics, observeResult } from './metrics.ts';
import type { ScanOutcomes } from './outcomes.ts';
import type { FinishedScan, ScanJob } from './queue/types.ts';
import type { ImageStore } from './storage/images.ts';
import type { Scan, ScanRepo } from './storage/scans.ts';

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
  /** Saves each final outcome and announces it (webhooks). */
  outcomes: ScanOutcomes;
}

/** Versions a request runs with: its A/B arm, else the engine's current default (reloads change it). */
export function effectiveVersions(analyzer: Analyzer, pinned: ModelVersions): ModelVersions {
  const out: ModelVersions = {};
  for (const m of analyzer.info().models) out[m.task as ModelTask] = pinned[m.task as ModelTask] ?? (m.available ? m.version : 'none');
  return out;
}

export interface Outcome {
  /** The result as JSON text, geometry included (what a response carries). */
  resultJson: string;
  /** The result object when it was analysed now by an analyzer without analyzeText: its stored form needs no JSON.parse. */
  result?: object;
  /** The stored form already written (analyzeText asked for it): without the geometry, and the geometry. */
  withoutGeometry?: { resultJson: string; geometryJson: string | null };
  shadowJson: string | null;
  cacheKey: string | null;
  cached: boolean;
}

/**
 * How long a cache entry may live: it holds the face mesh, which the database keeps only
 * GEOMETRY_KEEP_MS unless SKINSIGHT_STORE_LANDMARKS=true (then the configured TTL).
 */
function entryTtlS(deps: Pick<ProcessorDeps, 'storeLandmarks'>): number | undefined {
  return deps.storeLandmarks ? undefined : GEOMETRY_KEEP_MS / 1000;
}

/**
 * Analyse (or find in the cache) one image for one user. Throws the engine's errors.
 * The cache key includes the user: a hit never tells one user that another analysed the same
 * photo (a hit answers in a few ms, a miss in tens).
 */
export async function analyzeWithCache(
  deps: Pick<ProcessorDeps, 'analyzer' | 'cache' | 'models' | 'storeLandmarks'>,
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
  const options = { closeup, modelVersions: pinned, shadowVersions: shadow };
  if (deps.analyzer.analyzeText) {
    // An engine pool writes the text on its thread (result/text.ts): this event loop gets strings,
    // not the object to rebuild from a structured clone and then stringify twice.
    const text = await deps.analyzer.analyzeText(bytes, options, { withoutGeometry: !deps.storeLandmarks });
    observeResult(text, text.shadowModels);
    if (key && deps.cache) await deps.cache.set(key, packEntry(text.resultJson, text.shadowJson), entryTtlS(deps));
    return { resultJson: text.resultJson, withoutGeometry: text.withoutGeometry, shadowJson: text.shadowJson, cacheKey: key, cached: false };
  }
  // Shadow predictions are stored apart and never reach the public result.
  const { shadow: shadowPreds, ...result } = await deps.analyzer.analyze(bytes, options);
  observeResult(result, shadowPreds);
  const resultJson = JSON.stringify(result);
  const shadowJson = shadowPreds && shadowPreds.length > 0 ? JSON.stringify(shadowPreds) : null;
  if (key && deps.cache) await deps.cache.set(key, packEntry(resultJson, shadowJson), entryTtlS(deps));
  return { resultJson, result, shadowJson, cacheKey: key, cached: false };
}

const seconds = (from: string, to: string | Date) => Math.max(0, (new Date(to).getTime() - Date.parse(from)) / 1000);

/** A first attempt starts: how long the scan waited for its photo, then for a worker. */
function observeStart(scan: { created_at: string; uploaded_at: string | null }, now: Date) {
  if (!scan.uploaded_at) return;
  metrics.stateDuration.observe({ state: 'pending', outcome: 'uploaded' }, seconds(scan.created_at, scan.uploaded_at));
  metrics.queueWait.observe(seconds(scan.uploaded_at, now));
}

export function createScanProcessor(deps: ProcessorDeps) {
  const { scans, images, clock, log, outcomes } = deps;

  /** Seconds from upload to the saved outcome (the processing state's duration). */
  function observeProcessing(scan: Scan, outcome: 'completed' | 'failed', now: string) {
    if (scan.uploaded_at) metrics.stateDuration.observe({ state: 'processing', outcome }, seconds(scan.uploaded_at, now));
  }

  /**
   * Save a failure (and its event, after the upload is gone). A failed scan is final (its photo
   * is never analysed again: a new scan is a new upload), so even a photo kept with
   * store_image=true goes: it would be kept 30 days for a result that does not exist. Called only
   * once no retry will run (an engine closing mid-scan returns before this).
   */
  async function fail(scan: Scan, code: ErrorCode, message: string): Promise<void> {
    const now = clock().toISOString();
    const saved = await outcomes.fail(scan.id, code, message, { now, afterSave: () => dropUpload(scan, { evenStored: true }) });
    if (saved) observeProcessing(scan, 'failed', now);
    // Not ours to fail (finished by another attempt, or deleted): a stored photo is not ours to delete either.
    else await dropUnstoredUpload(scan);
  }

  return async function processScan(job: ScanJob): Promise<FinishedScan | void> {
    // The attempt is counted and the row read in one statement, before the engine runs (a try
    // that kills the process counts too).
    const counted = await scans.startAttempt(job.scanId, deps.maxAttempts);
    if (!counted) {
      // Deleted meanwhile, or already finished by an earlier attempt: nothing to do. Else it is out of tries.
      const left = await scans.get(job.scanId);
      if (!left || left.status !== 'processing') return;
      metrics.errors.inc({ code: 'ANALYSIS_ABORTED', source: 'analysis' });
      await fail(left, 'ANALYSIS_ABORTED', `the analysis was interrupted ${left.attempts} times; upload the photo again or try another one`);
      log.warn({ scanId: left.id, attempts: left.attempts }, 'scan given up after its last attempt');
      return;
    }
    // The row as it was before this attempt (what the saved row below starts from).
    const scan: Scan = { ...counted, attempts: counted.attempts - 1 };
    if (scan.attempts === 0) observeStart(scan, clock());

    let bytes = job.bytes ?? null;
    if (!bytes && scan.image_key) bytes = await images.get(scan.image_key);
    if (!bytes) {
      await fail(scan, 'INTERNAL', 'the uploaded image was lost before analysis');
      metrics.errors.inc({ code: 'INTERNAL', source: 'analysis' });
      return;
    }

    const started = performance.now();
    try {
      const outcome = await analyzeWithCache(deps, bytes, scan.user_id, scan.closeup === 1);
      if (deps.holdMs) {
        log.warn({ scanId: scan.id, holdMs: deps.holdMs }, 'debug hold: analysis done, holding before saving');
        await new Promise((r) => setTimeout(r, deps.holdMs));
      }
      const stored = deps.storeLandmarks
        ? { resultJson: outcome.resultJson, geometryJson: null }
        : (outcome.withoutGeometry ?? (outcome.result ? splitGeometryOf(outcome.result) : splitGeometry(outcome.resultJson)));
      const now = clock().toISOString();
      const extra = { shadowJson: outcome.shadowJson, cacheKey: outcome.cacheKey, geometryJson: stored.geometryJson };
      // Only once the outcome is durable may an unstored upload go; the event follows that.
      const saved = await outcomes.complete(scan.id, stored.resultJson, extra, { now, afterSave: () => dropUnstoredUpload(scan) });
      log.info({ scanId: scan.id, ms: Math.round(performance.now() - started), cached: outcome.cached }, 'scan completed');
      if (!saved) {
        await dropUnstoredUpload(scan);
        // A scan deleted while analysing must not leave its result in the cache.
        if (outcome.cacheKey && deps.cache && !(await scans.get(scan.id))) await deps.cache.delete([outcome.cacheKey]);
        return;
      }
      observeProcessing(scan, 'completed', now);
      const unstored = scan.image_key !== null && scan.store_image !== 1;
      const row: Scan = {
        ...scan,
        status: 'completed',
        attempts: scan.attempts + 1,
        result_json: stored.resultJson,
        completed_at: now,
        updated_at: now,
        shadow_json: extra.shadowJson,
        cache_key: extra.cacheKey,
        geometry_json: extra.geometryJson,
        ...(unstored ? { image_key: null, image_expires_at: null } : {}),
      };
      return { scan: row, responseResultJson: outcome.resultJson };
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
      await fail(scan, info.code, info.message);
    }
  };

  async function dropUnstoredUpload(scan: Scan) {
    await dropUpload(scan, { evenStored: false });
  }

  async function dropUpload(scan: Scan, opts: { evenStored: boolean }) {
    if (scan.image_key && (opts.evenStored || scan.store_image !== 1)) {
      await images.delete(scan.image_key);
      await scans.clearImage(scan.id);
    }
  }
}
