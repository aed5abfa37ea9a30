/**
 * The retention job: stored images expire after the configured days, and uploads that a crash
 * left behind after their analysis finished are removed. Runs periodically and at start.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ImageStore } from './storage/images.ts';
import type { ScanRepo } from './storage/scans.ts';

export interface PurgeDeps {
  scans: ScanRepo;
  images: ImageStore;
  clock: () => Date;
  log: FastifyBaseLogger;
}

const BATCH = 500;

/** Delete every image due now; returns how many went. */
export async function purgeImages(deps: PurgeDeps): Promise<number> {
  let purged = 0;
  for (;;) {
    const due = await deps.scans.imagesToPurge(deps.clock().toISOString(), BATCH);
    for (const row of due) {
      await deps.images.delete(row.image_key!);
      await deps.scans.clearImage(row.id);
    }
    purged += due.length;
    if (due.length < BATCH) break;
  }
  if (purged > 0) deps.log.info({ purged }, 'retention: images purged');
  return purged;
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
