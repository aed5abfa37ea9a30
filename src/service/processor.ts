/**
 * What a queue worker does with one scan: run the engine, record the outcome in the scan row,
 * and delete the upload unless the user asked to keep it. Safe to run twice on the same scan
 * (crash recovery): each step is conditional on the row still being in `processing`.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Analyzer } from '../engine/api.ts';
import { toErrorInfo } from '../engine/errors.ts';
import type { ScanJob } from './queue/types.ts';
import type { ImageStore } from './storage/images.ts';
import type { ScanRepo } from './storage/scans.ts';

export interface ProcessorDeps {
  analyzer: Analyzer;
  scans: ScanRepo;
  images: ImageStore;
  clock: () => Date;
  log: FastifyBaseLogger;
  /** Test hook: wait this long after analysing, before saving (makes "killed mid-analysis" deterministic). */
  holdMs?: number;
}

export function createScanProcessor(deps: ProcessorDeps) {
  const { analyzer, scans, images, clock, log } = deps;

  return async function processScan(job: ScanJob): Promise<void> {
    const scan = await scans.get(job.scanId);
    // Deleted meanwhile, or already finished by an earlier attempt: nothing to do.
    if (!scan || scan.status !== 'processing') return;
    const key = scan.image_key;
    await scans.countAttempt(scan.id);

    let bytes = job.bytes ?? null;
    if (!bytes && key) bytes = await images.get(key);
    if (!bytes) {
      await scans.fail(scan.id, 'INTERNAL', 'the uploaded image was lost before analysis', clock().toISOString());
      return;
    }

    const started = performance.now();
    try {
      const result = await analyzer.analyze(bytes, { closeup: scan.closeup === 1 });
      if (deps.holdMs) {
        log.warn({ scanId: scan.id, holdMs: deps.holdMs }, 'debug hold: analysis done, holding before saving');
        await new Promise((r) => setTimeout(r, deps.holdMs));
      }
      await scans.complete(scan.id, JSON.stringify(result), clock().toISOString());
      log.info({ scanId: scan.id, ms: Math.round(performance.now() - started) }, 'scan completed');
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'ENGINE_CLOSED') {
        // Shutting down: leave the scan in processing with its upload; the next start re-queues it.
        log.warn({ scanId: scan.id }, 'engine closed mid-scan; left for recovery');
        return;
      }
      if (info.code === 'INTERNAL') log.error({ scanId: scan.id, err }, 'scan failed with an internal error');
      else log.info({ scanId: scan.id, code: info.code }, 'scan failed');
      await scans.fail(scan.id, info.code, info.message, clock().toISOString());
    }

    // Only now, with the outcome durable, may an unstored upload go.
    if (key && scan.store_image !== 1) {
      await images.delete(key);
      await scans.clearImage(scan.id);
    }
  };
}
