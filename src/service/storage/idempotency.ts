/**
 * Idempotency-Key claims in the database, so every API process sees the same ones. A claim is
 * one INSERT ... ON CONFLICT DO NOTHING: of two requests with the same key at the same moment
 * exactly one inserts the row, whatever process they reach (SQLite and Postgres both serialise
 * a primary-key conflict).
 */
import type { Db, IdempotencyKeysTable } from './db.ts';

export type StoredResponse = { status: number; type: string; body: string };

export type ClaimOutcome =
  | { kind: 'claimed'; owner: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' }
  /** The claim's scan or user was deleted meanwhile (a delete racing a slow upload). */
  | { kind: 'gone' };

export interface ClaimRequest {
  key: string;
  fingerprint: string;
  userId: string | null;
  scanId: string | null;
  now: Date;
  /** How long a claim stays valid (24 h) and how long an unfinished one is trusted. */
  ttlMs: number;
  leaseMs: number;
}

export class IdempotencyRepo {
  constructor(private readonly db: Db) {}

  async claim(c: ClaimRequest): Promise<ClaimOutcome> {
    const owner = crypto.randomUUID();
    const row = {
      key: c.key,
      fingerprint: c.fingerprint,
      owner,
      state: 'in_progress' as const,
      response_status: null,
      response_type: null,
      response_body: null,
      user_id: c.userId,
      scan_id: c.scanId,
      created_at: c.now.toISOString(),
      locked_until: new Date(c.now.getTime() + c.leaseMs).toISOString(),
      expires_at: new Date(c.now.getTime() + c.ttlMs).toISOString(),
    };
    // Two rounds: a stale row is taken over at most once before we answer from what is there.
    for (let round = 0; round < 2; round++) {
      let inserted;
      try {
        inserted = await this.db.insertInto('idempotency_keys').values(row).onConflict((oc) => oc.column('key').doNothing()).executeTakeFirst();
      } catch (err) {
        if (isForeignKeyViolation(err)) return { kind: 'gone' };
        throw err;
      }
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: 'claimed', owner };
      const existing = await this.db.selectFrom('idempotency_keys').selectAll().where('key', '=', c.key).executeTakeFirst();
      if (!existing) continue; // deleted (released or expired) between the two statements
      const now = row.created_at;
      const expired = existing.expires_at <= now;
      if (!expired && existing.fingerprint !== c.fingerprint) return { kind: 'mismatch' };
      if (!expired && existing.state === 'completed') return { kind: 'replay', response: storedResponse(existing) };
      if (!expired && existing.locked_until > now) return { kind: 'in_progress' };
      // Expired, or abandoned by a process that died mid-request: take it over if nobody else did.
      const { key: _key, ...fresh } = row;
      const taken = await this.db
        .updateTable('idempotency_keys')
        .set(fresh)
        .where('key', '=', c.key)
        .where('owner', '=', existing.owner)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return { kind: 'claimed', owner };
    }
    return { kind: 'in_progress' };
  }

  /** Store the response the claim's request gave; a claim taken over meanwhile is left alone. */
  async complete(key: string, owner: string, response: StoredResponse, scanId: string | null): Promise<void> {
    try {
      await this.db
        .updateTable('idempotency_keys')
        .set({ state: 'completed', response_status: response.status, response_type: response.type, response_body: response.body, ...(scanId ? { scan_id: scanId } : {}) })
        .where('key', '=', key)
        .where('owner', '=', owner)
        .execute();
    } catch (err) {
      // The scan just made was deleted before its answer was stored: there is nothing to replay.
      if (!isForeignKeyViolation(err)) throw err;
      await this.release(key, owner);
    }
  }

  /** Forget a claim whose request should be retried as new (a 5xx, a 429, a dropped connection). */
  async release(key: string, owner: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('key', '=', key).where('owner', '=', owner).execute();
  }

  async purgeExpired(now: Date): Promise<number> {
    const res = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

/** SQLite (better-sqlite3) and PostgreSQL (SQLSTATE 23503) name a foreign-key violation differently. */
function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

function storedResponse(row: IdempotencyKeysTable): StoredResponse {
  return { status: row.response_status ?? 200, type: row.response_type ?? 'application/json', body: row.response_body ?? '' };
}
