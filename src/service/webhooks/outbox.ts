/**
 * The webhook outbox. When a scan completes or fails, the process that recorded the outcome
 * writes an event row (`enqueue`); a dispatcher in every API process sends the rows that are
 * due, each held by one process at a time, and reschedules failures with exponential back-off
 * (base, 2×base, 4×base … capped at 2 h) until 24 h after the event; then it is `failed`.
 * Everything is in the database, so a restart (or a crash mid-send) loses no event: an
 * unfinished one is sent again (receivers dedupe on `webhook-id`, as Standard Webhooks asks).
 */
import type { FastifyBaseLogger } from 'fastify';
import { metrics } from '../metrics.ts';
import type { Selectable } from 'kysely';
import type { Db, WebhookDeliveriesTable } from '../storage/db.ts';

type DeliveryRow = Selectable<WebhookDeliveriesTable>;
import { webhookHeaders } from './signature.ts';
import { postWebhook } from './send.ts';
import { redactIn, redactUrl } from './redact.ts';

export const WEBHOOK_GIVE_UP_MS = 24 * 3_600_000;
const MAX_DELAY_MS = 2 * 3_600_000;
const POLL_MS = 500;
const BATCH = 20;
/** A send holds its row this long; a process that died mid-send frees it by timing out. */
const HOLD_MS = 60_000;

export type WebhookEvent = 'scan.completed' | 'scan.failed';

export interface WebhookSettings {
  url: string;
  secret: string;
  allowPrivate: boolean;
  retryBaseMs: number;
}

/** Delay before attempt n+1 after n failed attempts. */
export function retryDelayMs(baseMs: number, failedAttempts: number): number {
  return Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, failedAttempts - 1));
}

export class WebhookOutbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly holder = crypto.randomUUID();

  constructor(
    private readonly db: Db,
    private readonly settings: WebhookSettings,
    private readonly clock: () => Date,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Record an event to send; the body is fixed now, so every retry signs the same bytes. */
  async enqueue(event: WebhookEvent, scan: { id: string; status: string; error?: { code: string; message: string } | null }): Promise<void> {
    const id = `msg_${crypto.randomUUID()}`;
    const now = this.clock().toISOString();
    // Only ids and the outcome: the receiver reads the result with its own credentials.
    const payload = JSON.stringify({ type: event, timestamp: now, data: { scan_id: scan.id, status: scan.status, error: scan.error ?? null } });
    await this.db
      .insertInto('webhook_deliveries')
      .values({ id, event, scan_id: scan.id, url: this.settings.url, payload, state: 'pending', next_attempt_at: now, locked_until: null, last_status: null, last_error: null, created_at: now, updated_at: now })
      .execute();
    this.kick();
  }

  /** Start sending due events every POLL_MS (API processes). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private kick(): void {
    if (!this.timer || this.running) return;
    this.running = this.sendDue()
      .catch((err) => this.log.warn({ err: String(err) }, 'webhooks: dispatch failed; retried on the next tick'))
      .finally(() => (this.running = null));
  }

  /** Send every due event once; exposed for tests. */
  async sendDue(): Promise<void> {
    const now = this.clock();
    const due = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now.toISOString())
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now.toISOString())]))
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .execute();
    for (const row of due) {
      if (await this.hold(row, now)) await this.attempt(row);
    }
  }

  /** Take the row if nobody else took it since it was read (another API process). */
  private async hold(row: DeliveryRow, now: Date): Promise<boolean> {
    const res = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: new Date(now.getTime() + HOLD_MS).toISOString(), last_error: row.last_error })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .where((eb) => (row.locked_until === null ? eb('locked_until', 'is', null) : eb('locked_until', '=', row.locked_until)))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const attempts = Number(row.attempts) + 1;
    const headers = webhookHeaders(this.settings.secret, row.id, Math.floor(this.clock().getTime() / 1000), row.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postWebhook(row.url, headers, row.payload, this.settings.allowPrivate);
      if (status < 200 || status >= 300) error = `the receiver answered ${status}`;
    } catch (err) {
      // The client's message may quote the URL, with its credentials.
      error = redactIn(err instanceof Error ? err.message : String(err), row.url);
    }
    const now = this.clock();
    const delivered = error === null;
    const nextAt = new Date(now.getTime() + retryDelayMs(this.settings.retryBaseMs, attempts));
    const givenUp = !delivered && nextAt.getTime() > Date.parse(row.created_at) + WEBHOOK_GIVE_UP_MS;
    const state = delivered ? 'delivered' : givenUp ? 'failed' : 'pending';
    metrics.webhookDeliveries.inc({ outcome: delivered ? 'delivered' : givenUp ? 'given_up' : 'retry' });
    if (!delivered) this.log.warn({ webhookId: row.id, attempts, error, state }, 'webhook delivery failed');
    await this.db
      .updateTable('webhook_deliveries')
      .set({ state, attempts, last_status: status, last_error: error, locked_until: null, next_attempt_at: delivered || givenUp ? row.next_attempt_at : nextAt.toISOString(), updated_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute();
  }

  /** The delivery log, newest first; URLs without their credentials. */
  async list(limit: number) {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select(['id', 'event', 'scan_id', 'url', 'state', 'attempts', 'next_attempt_at', 'last_status', 'last_error', 'created_at', 'updated_at'])
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, url: redactUrl(r.url), last_error: r.last_error === null ? null : redactIn(r.last_error, r.url) }));
  }
}
