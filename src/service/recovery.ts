/**
 * Crash recovery at start: scans left in `processing` (the process died mid-analysis, or
 * stopped with jobs still queued) are queued again from their kept upload. None is lost or stuck.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { JobQueue } from './queue/types.ts';
import type { ImageStore } from './storage/images.ts';
import type { ScanRepo } from './storage/scans.ts';

export async function recoverScans(deps: {
  scans: ScanRepo;
  images: ImageStore;
  queue: JobQueue;
  clock: () => Date;
  log: FastifyBaseLogger;
  /** Told of each scan this marks failed (the webhook event), once the failure is saved. */
  onFailed?: (scan: { id: string; status: 'failed'; error: { code: string; message: string } }) => Promise<void>;
}): Promise<number> {
  const stuck = await deps.scans.listProcessing();
  let requeued = 0;
  for (const scan of stuck) {
    if (scan.image_key && (await deps.images.exists(scan.image_key))) {
      deps.queue.enqueue({ scanId: scan.id }, { force: true });
      requeued++;
    } else {
      const message = 'the upload was lost before analysis; upload again';
      const saved = await deps.scans.fail(scan.id, 'INTERNAL', message, deps.clock().toISOString());
      if (saved !== false) await deps.onFailed?.({ id: scan.id, status: 'failed', error: { code: 'INTERNAL', message } });
    }
  }
  if (stuck.length > 0) deps.log.info({ requeued, lost: stuck.length - requeued }, 'recovery: re-queued interrupted scans');
  return requeued;
}
