/**
 * Per-account login throttle (issue #9, item 9), kept in the database so that every API
 * process sees the same counts. After MAX_FAILURES failed logins without a quiet WINDOW, the
 * account refuses logins (429 + Retry-After) for a back-off that doubles with each further
 * failure, from 1 minute up to MAX_BLOCK: guessing slows to a crawl, and nobody can lock an
 * account for longer than MAX_BLOCK after the last failure (no permanent lockout).
 *
 * Rows are keyed by an HMAC of the e-mail, so unknown and known addresses behave the same
 * and the table holds no address.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.ts';

export const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60_000;
const FIRST_BLOCK_MS = 60_000;
const MAX_BLOCK_MS = 15 * 60_000;

/** How long the account is blocked after its nth failure (n ≥ MAX_FAILURES): 1, 2, 4, 8, 15 min. */
export function blockMs(failures: number): number {
  return Math.min(FIRST_BLOCK_MS * 2 ** (failures - MAX_FAILURES), MAX_BLOCK_MS);
}

export class LoginThrottle {
  constructor(
    private readonly db: Db,
    private readonly secret: string,
  ) {}

  key(email: string): string {
    return crypto.createHmac('sha256', this.secret).update(`login:${email.toLowerCase()}`).digest('hex');
  }

  /** Seconds the account must wait, or 0 when a login may be tried now. */
  async retryAfterS(email: string, now: Date): Promise<number> {
    const row = await this.db.selectFrom('login_throttle').select('blocked_until').where('key', '=', this.key(email)).executeTakeFirst();
    const until = row?.blocked_until ? Date.parse(row.blocked_until) : 0;
    return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
  }

  /**
   * Count one attempt *before* its password is checked, so that a burst of parallel guesses
   * cannot all pass the check before any failure is written. Answers 0 when this attempt may
   * verify a password, else the seconds to wait. Attempts refused while a block stands are not
   * counted. Past MAX_FAILURES, only one attempt per expired block gets through (it claims the
   * next, longer block in one conditional UPDATE; a success then clears the row).
   */
  async attempt(email: string, now: Date): Promise<number> {
    const waiting = await this.retryAfterS(email, now);
    if (waiting > 0) return waiting;
    const key = this.key(email);
    const nowIso = now.toISOString();
    const resetAt = new Date(now.getTime() + WINDOW_MS).toISOString();
    const row = await this.db
      .insertInto('login_throttle')
      .values({ key, failures: 1, blocked_until: null, reset_at: resetAt })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when login_throttle.reset_at <= ${nowIso} then 1 else login_throttle.failures + 1 end`,
          blocked_until: sql<string | null>`case when login_throttle.reset_at <= ${nowIso} then null else login_throttle.blocked_until end`,
          reset_at: sql<string>`case when login_throttle.reset_at > ${resetAt} then login_throttle.reset_at else ${resetAt} end`,
        }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    const failures = Number(row.failures);
    if (failures <= MAX_FAILURES) return 0;
    const until = new Date(now.getTime() + blockMs(failures));
    const block = { blocked_until: until.toISOString(), reset_at: new Date(until.getTime() + WINDOW_MS).toISOString() };
    // One attempt per expired block: whoever flips blocked_until from the past to the future.
    const claimed = await this.db
      .updateTable('login_throttle')
      .set(block)
      .where('key', '=', key)
      .where('blocked_until', 'is not', null)
      .where('blocked_until', '<=', nowIso)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 1) return 0;
    // Over the limit in a burst before any block was written: write it, and refuse.
    await this.db.updateTable('login_throttle').set(block).where('key', '=', key).where('blocked_until', 'is', null).execute();
    return Math.max(1, await this.retryAfterS(email, now));
  }

  /** A counted attempt failed: from the MAX_FAILURES-th on, the account is blocked (never shortened). */
  async failed(email: string, now: Date): Promise<void> {
    const key = this.key(email);
    const row = await this.db.selectFrom('login_throttle').select('failures').where('key', '=', key).executeTakeFirst();
    const failures = Number(row?.failures ?? 0);
    if (failures < MAX_FAILURES) return;
    const until = new Date(now.getTime() + blockMs(failures));
    await this.db
      .updateTable('login_throttle')
      .set({ blocked_until: until.toISOString(), reset_at: new Date(until.getTime() + WINDOW_MS).toISOString() })
      .where('key', '=', key)
      .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', until.toISOString())]))
      .execute();
  }

  /** A successful login starts the account's count afresh. */
  async succeeded(email: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', this.key(email)).execute();
  }

  async purgeStale(now: Date): Promise<number> {
    const res = await this.db.deleteFrom('login_throttle').where('reset_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
