/**
 * The retention job, run periodically and at start:
 * - stored images expire after the configured days, and uploads that a crash left behind after
 *   their analysis finished are removed;
 * - whole scans (row, result, photo, cache entry) go after SKINSIGHT_RESULT_RETENTION_DAYS,
 *   when it is set (0, the default, keeps them until the user deletes them);
 * - the face geometry kept apart for the owner's first look goes after an hour (geometry.ts);
 * - scans that never got a photo (the upload was refused or never came) go after a day;
 * - expired sessions, stale login counts and Idempotency-Keys past 24 h are dropped;
 * - webhook events that ended go from the delivery log after 7 days (with their scan at once).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ResultCache } from './cache.ts';
import { GEOMETRY_KEEP_MS } from './geometry.ts';
import { checkpointAfterDelete, type Db } from './storage/db.ts';
import type { IdempotencyRepo } from './storage/idempotency.ts';
import type { ImageStore } from './storage/images.ts';
import type { LoginThrottle } from './storage/login-throttle.ts';
import type { ScanRepo } from './storage/scans.ts';
import type { SessionRepo } from './storage/sessions.ts';

export interface PurgeDeps {
  scans: ScanRepo;
  images: ImageStore;
  clock: () => Date;
  log: FastifyBaseLogger;
  db?: Db;
  sessions?: SessionRepo;
  throttle?: LoginThrottle;
  cache?: ResultCache | null;
  /** Days a finished scan is kept; 0 keeps it. */
  resultDays?: number;
  /** Idempotency keys past their 24 hours. */
  idempotency?: IdempotencyRepo;
}

const BATCH = 500;
const DAY_MS = 86_400_000;
/** A pending scan older than this is abandoned: an upload takes seconds, not a day. */
export const PENDING_KEEP_MS = DAY_MS;
/** How long the webhook delivery log keeps an event that ended: long enough to debug a receiver. */
export const DELIVERY_LOG_KEEP_MS = 7 * DAY_MS;

/** Delete every image due now (and the other expired data); returns how many images went. */
export async function purgeImages(deps: PurgeDeps): Promise<number> {
  const now = deps.clock();
  let purged = 0;
  for (;;) {
    const due = await deps.scans.imagesToPurge(now.toISOString(), BATCH);
    for (const row of due) {
      await deps.images.delete(row.image_key!);
      await deps.scans.clearImage(row.id);
    }
    purged += due.length;
    if (due.length < BATCH) break;
  }
  if (purged > 0) deps.log.info({ purged }, 'retention: images purged');
  const results = await purgeResults(deps, now);
  const geometry = await deps.scans.clearGeometry(new Date(now.getTime() - GEOMETRY_KEEP_MS).toISOString());
  const abandoned = await deps.scans.deleteStalePending(new Date(now.getTime() - PENDING_KEEP_MS).toISOString());
  if (abandoned > 0) deps.log.info({ abandoned }, 'retention: scans without a photo deleted');
  await deps.sessions?.purgeExpired(now);
  await deps.throttle?.purgeStale(now);
  await deps.idempotency?.purgeExpired(now);
  await deps.scans.purgeDeliveries(new Date(now.getTime() - DELIVERY_LOG_KEEP_MS).toISOString());
  if (deps.db && (purged > 0 || results > 0 || geometry > 0 || abandoned > 0)) await checkpointAfterDelete(deps.db);
  return purged;
}

/** Scans past SKINSIGHT_RESULT_RETENTION_DAYS, with their photo and cache entry. */
async function purgeResults(deps: PurgeDeps, now: Date): Promise<number> {
  if (!deps.resultDays) return 0;
  const before = new Date(now.getTime() - deps.resultDays * DAY_MS).toISOString();
  let deleted = 0;
  for (;;) {
    const due = await deps.scans.expiredScans(before, BATCH);
    for (const row of due) {
      await deps.scans.delete(row.id);
      if (row.image_key) await deps.images.delete(row.image_key);
      if (row.cache_key && deps.cache) await deps.cache.delete([row.cache_key]);
    }
    deleted += due.length;
    if (due.length < BATCH) break;
  }
  if (deleted > 0) deps.log.info({ deleted }, 'retention: scans past SKINSIGHT_RESULT_RETENTION_DAYS deleted');
  return deleted;
}

/** Run purgeImages every intervalMs; returns a stop function. Never overlaps itself. */
export function schedulePurge(deps: PurgeDeps, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    purgeImages(deps)
      .catch((err) => deps.log.error({ err }, 'retention: purge failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
