/**
 * Scan rows and their state machine: pending → processing → completed | failed.
 * Every transition is one conditional UPDATE (WHERE status = expected), so a scan deleted or
 * already finished elsewhere is never overwritten.
 */
import type { ErrorCode } from '../../contract/errors.ts';
import type { Db, ScansTable, ScanStatus } from './db.ts';

export type Scan = Omit<ScansTable, 'attempts' | 'shadow_json' | 'cache_key' | 'geometry_json'> & {
  attempts: number;
  shadow_json: string | null;
  cache_key: string | null;
  geometry_json: string | null;
};

export interface UploadInfo {
  imageKey: string;
  format: string;
  size: number;
  storeImage: boolean;
  closeup: boolean;
  imageExpiresAt: string | null;
  now: string;
}

export interface HistoryPage {
  scans: Scan[];
  total: number;
}

export class ScanRepo {
  constructor(private readonly db: Db) {}

  async create(scan: { id: string; userId: string; now: string }): Promise<void> {
    await this.db
      .insertInto('scans')
      .values({
        id: scan.id,
        user_id: scan.userId,
        status: 'pending',
        created_at: scan.now,
        updated_at: scan.now,
        uploaded_at: null,
        completed_at: null,
        consent: 0,
        store_image: 0,
        closeup: 0,
        image_key: null,
        image_format: null,
        image_size: null,
        image_expires_at: null,
        result_json: null,
        error_code: null,
        error_message: null,
      })
      .execute();
  }

  get(id: string): Promise<Scan | undefined> {
    return this.db.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The scan if it belongs to the user; another user's scan is indistinguishable from none. */
  getOwned(id: string, userId: string): Promise<Scan | undefined> {
    return this.db
      .selectFrom('scans')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** The user's scans uploaded and not yet finished: queued or being analysed, in any process. */
  async countInFlight(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('scans')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('status', '=', 'processing')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * pending → processing with the stored upload; false if the scan was not pending, or (with
   * `limit`) its user has `limit.max` scans in processing already: the count is part of the
   * UPDATE, so two uploads racing in SQLite cannot both take the last place.
   */
  async markProcessing(id: string, up: UploadInfo, limit?: { userId: string; max: number }): Promise<boolean> {
    let q = this.db
      .updateTable('scans')
      .set({
        status: 'processing',
        consent: 1,
        store_image: up.storeImage ? 1 : 0,
        closeup: up.closeup ? 1 : 0,
        image_key: up.imageKey,
        image_format: up.format,
        image_size: up.size,
        image_expires_at: up.imageExpiresAt,
        uploaded_at: up.now,
        updated_at: up.now,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending');
    if (limit) {
      const inFlight = this.db
        .selectFrom('scans as other')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('other.user_id', '=', limit.userId)
        .where('other.status', '=', 'processing');
      q = q.where(inFlight, '<', limit.max);
    }
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * An analysis attempt starts: count it (crash recovery reports how often a scan was retried,
   * and gives up after the configured tries) and read the row, in one statement (UPDATE …
   * RETURNING: SQLite ≥ 3.35 and PostgreSQL), instead of a SELECT and then an UPDATE.
   * Only a scan in `processing` with fewer than `maxAttempts` tries so far is counted; the
   * returned row's `attempts` includes this one. Undefined otherwise (deleted meanwhile,
   * finished by an earlier attempt, or out of tries: the caller reads the row to tell which).
   */
  startAttempt(id: string, maxAttempts?: number): Promise<Scan | undefined> {
    let q = this.db
      .updateTable('scans')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where('status', '=', 'processing');
    if (maxAttempts !== undefined) q = q.where('attempts', '<', maxAttempts);
    return q.returningAll().executeTakeFirst();
  }

  async complete(
    id: string,
    resultJson: string,
    now: string,
    extra: { shadowJson?: string | null; cacheKey?: string | null; geometryJson?: string | null } = {},
  ): Promise<boolean> {
    return this.finish(id, 'completed', {
      result_json: resultJson,
      completed_at: now,
      updated_at: now,
      shadow_json: extra.shadowJson ?? null,
      cache_key: extra.cacheKey ?? null,
      geometry_json: extra.geometryJson ?? null,
    });
  }

  /** Drop the kept geometry of scans completed before `before` (see geometry.ts). */
  async clearGeometry(before: string): Promise<number> {
    const res = await this.db
      .updateTable('scans')
      .set({ geometry_json: null })
      .where('geometry_json', 'is not', null)
      .where('completed_at', '<=', before)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Scans finished before `before` (result retention), with what must go with them. */
  expiredScans(before: string, limit: number): Promise<Pick<Scan, 'id' | 'image_key' | 'cache_key'>[]> {
    return this.db
      .selectFrom('scans')
      .select(['id', 'image_key', 'cache_key'])
      .where('status', 'in', ['completed', 'failed'])
      .where('completed_at', '<=', before)
      .limit(limit)
      .execute();
  }

  /** Result-cache keys of one scan or of all of a user's scans (deleted with them). */
  async cacheKeys(where: { scanId: string } | { userId: string }): Promise<string[]> {
    let q = this.db.selectFrom('scans').select('cache_key').where('cache_key', 'is not', null);
    q = 'scanId' in where ? q.where('id', '=', where.scanId) : q.where('user_id', '=', where.userId);
    return (await q.execute()).map((r) => r.cache_key!);
  }

  /** Scans in processing not touched since `before` (the sweeper re-queues them; enqueue dedupes by scan id). */
  listProcessingBefore(before: string, limit: number): Promise<Scan[]> {
    return this.db
      .selectFrom('scans')
      .selectAll()
      .where('status', '=', 'processing')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  }

  async fail(id: string, code: ErrorCode, message: string, now: string): Promise<boolean> {
    return this.finish(id, 'failed', { error_code: code, error_message: message, completed_at: now, updated_at: now });
  }

  private async finish(id: string, status: ScanStatus, values: Partial<Omit<Scan, 'attempts'>>): Promise<boolean> {
    const res = await this.db
      .updateTable('scans')
      .set({ ...values, status })
      .where('id', '=', id)
      .where('status', '=', 'processing')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async clearImage(id: string): Promise<void> {
    await this.db.updateTable('scans').set({ image_key: null, image_expires_at: null }).where('id', '=', id).execute();
  }

  /** A user's scans that got a photo: a pending scan (nothing uploaded, or the upload refused) has nothing to show. */
  async history(userId: string, limit: number, offset: number): Promise<HistoryPage> {
    const [scans, count] = await Promise.all([
      this.db
        .selectFrom('scans')
        .selectAll()
        .where('user_id', '=', userId)
        .where('status', '!=', 'pending')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom('scans')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .where('status', '!=', 'pending')
        .executeTakeFirstOrThrow(),
    ]);
    return { scans, total: Number(count.n) };
  }

  /** Scans still pending (no photo accepted) since before `before`: abandoned or refused uploads. */
  async deleteStalePending(before: string): Promise<number> {
    const res = await this.db.deleteFrom('scans').where('status', '=', 'pending').where('created_at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** A user's newest `limit` completed results, returned oldest first (the trend chart). */
  async completedResults(userId: string, limit: number): Promise<Pick<Scan, 'id' | 'completed_at' | 'result_json'>[]> {
    const rows = await this.db
      .selectFrom('scans')
      .select(['id', 'completed_at', 'result_json'])
      .where('user_id', '=', userId)
      .where('status', '=', 'completed')
      .orderBy('completed_at', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
  }

  /**
   * One page of the scans created since `from`, newest first, after the keyset `after`
   * (created_at, id): the analytics read a window page by page, never all of it at once.
   */
  analyticsPage(
    from: string,
    after: { created_at: string; id: string } | null,
    size: number,
  ): Promise<Pick<Scan, 'id' | 'status' | 'created_at' | 'uploaded_at' | 'completed_at' | 'error_code' | 'result_json' | 'shadow_json'>[]> {
    let q = this.db
      .selectFrom('scans')
      .select(['id', 'status', 'created_at', 'uploaded_at', 'completed_at', 'error_code', 'result_json', 'shadow_json'])
      .where('created_at', '>=', from);
    if (after) {
      q = q.where((eb) => eb.or([eb('created_at', '<', after.created_at), eb.and([eb('created_at', '=', after.created_at), eb('id', '<', after.id)])]));
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(size).execute();
  }

  /** Scans a crash or restart left in processing, oldest first. */
  listProcessing(): Promise<Scan[]> {
    return this.db.selectFrom('scans').selectAll().where('status', '=', 'processing').orderBy('uploaded_at').execute();
  }

  /** Image keys of a user's scans, read before the rows go (files are deleted after the rows). */
  async imageKeysOfUser(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('scans')
      .select('image_key')
      .where('user_id', '=', userId)
      .where('image_key', 'is not', null)
      .execute();
    return rows.map((r) => r.image_key!);
  }

  /** Deletes the scan and its webhook events (the delivery log names the scan; nothing outlives it). */
  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('webhook_deliveries').where('scan_id', '=', id).execute();
    const res = await this.db.deleteFrom('scans').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  async deleteOfUser(userId: string): Promise<number> {
    await this.db
      .deleteFrom('webhook_deliveries')
      .where('scan_id', 'in', (eb) => eb.selectFrom('scans').select('id').where('user_id', '=', userId))
      .execute();
    const res = await this.db.deleteFrom('scans').where('user_id', '=', userId).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Webhook events that ended (delivered or given up) before `before`: the delivery log's retention. */
  async purgeDeliveries(before: string): Promise<number> {
    const res = await this.db.deleteFrom('webhook_deliveries').where('state', '!=', 'pending').where('updated_at', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /**
   * Finished scans still holding an image that must go: stored images past their expiry,
   * unstored uploads a crash left behind between "finished" and "file deleted", and the photo of
   * any failed scan (a failure is final; the processor deletes it at once, this catches the
   * other ways a scan fails: recovery, the BullMQ sweeper, a worker's last try).
   */
  imagesToPurge(now: string, limit: number): Promise<Pick<Scan, 'id' | 'image_key'>[]> {
    return this.db
      .selectFrom('scans')
      .select(['id', 'image_key'])
      .where('image_key', 'is not', null)
      .where('status', 'in', ['completed', 'failed'])
      .where((eb) =>
        eb.or([
          eb('store_image', '=', 0),
          eb('status', '=', 'failed'),
          eb.and([eb('image_expires_at', 'is not', null), eb('image_expires_at', '<=', now)]),
        ]),
      )
      .limit(limit)
      .execute();
  }
}
