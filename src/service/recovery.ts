/**
 * Crash recovery at start: scans left in `processing` (the process died mid-analysis, or
 * stopped with jobs still queued) are queued again from their kept upload. None is lost or stuck.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ScanOutcomes } from './outcomes.ts';
import type { JobQueue } from './queue/types.ts';
import type { ImageStore } from './storage/images.ts';
import type { ScanRepo } from './storage/scans.ts';

export async function recoverScans(deps: {
  scans: ScanRepo;
  images: ImageStore;
  queue: JobQueue;
  log: FastifyBaseLogger;
  /** Saves (and announces) each scan this marks failed. */
  outcomes: ScanOutcomes;
}): Promise<number> {
  const stuck = await deps.scans.listProcessing();
  let requeued = 0;
  for (const scan of stuck) {
    if (scan.image_key && (await deps.images.exists(scan.image_key))) {
      deps.queue.enqueue({ scanId: scan.id }, { force: true });
      requeued++;
    } else {
      await deps.outcomes.fail(scan.id, 'INTERNAL', 'the upload was lost before analysis; upload again');
    }
  }
  if (stuck.length > 0) deps.log.info({ requeued, lost: stuck.length - requeued }, 'recovery: re-queued interrupted scans');
  return requeued;
}
