/**
 * The one place where a scan's final outcome is saved and announced. Whoever ends a scan (the
 * processor, start-up recovery, the BullMQ sweeper, a worker's last failed try) calls
 * `complete` or `fail` here: the row moves out of `processing` (conditionally, ScanRepo), and
 * only when this call made that move does the webhook event (`scan.completed` / `scan.failed`)
 * go into the outbox, so each outcome is announced exactly once whoever saw it first.
 * An event that cannot be recorded is logged; it never fails the scan (the row is the truth).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorCode } from '../contract/errors.ts';
import type { ScanRepo } from './storage/scans.ts';
import type { WebhookOutbox } from './webhooks/outbox.ts';

export interface CompleteExtra {
  shadowJson?: string | null;
  cacheKey?: string | null;
  geometryJson?: string | null;
}

export interface SaveOptions {
  /** When it ended (ISO-8601); the clock's now by default. */
  now?: string;
  /**
   * Runs after the outcome is saved (only if this call saved it) and before it is announced:
   * the processor deletes an unstored upload there, so no event precedes that.
   */
  afterSave?: () => Promise<void>;
}

export class ScanOutcomes {
  constructor(
    private readonly scans: ScanRepo,
    private readonly webhooks: WebhookOutbox | null,
    private readonly clock: () => Date,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** processing → completed; false when the scan was no longer processing (deleted, or finished elsewhere). */
  async complete(id: string, resultJson: string, extra: CompleteExtra, opts: SaveOptions = {}): Promise<boolean> {
    const saved = await this.scans.complete(id, resultJson, opts.now ?? this.clock().toISOString(), extra);
    if (saved) {
      await opts.afterSave?.();
      await this.announce('scan.completed', { id, status: 'completed', error: null });
    }
    return saved;
  }

  /** processing → failed with the code; false when the scan was no longer processing. */
  async fail(id: string, code: ErrorCode, message: string, opts: SaveOptions = {}): Promise<boolean> {
    const saved = await this.scans.fail(id, code, message, opts.now ?? this.clock().toISOString());
    if (saved) {
      await opts.afterSave?.();
      await this.announce('scan.failed', { id, status: 'failed', error: { code, message } });
    }
    return saved;
  }

  private async announce(event: 'scan.completed' | 'scan.failed', scan: { id: string; status: string; error: { code: string; message: string } | null }) {
    if (!this.webhooks) return;
    try {
      await this.webhooks.enqueue(event, scan);
    } catch (err) {
      this.log.error({ scanId: scan.id, err: String(err) }, 'could not record the webhook event');
    }
  }
}
