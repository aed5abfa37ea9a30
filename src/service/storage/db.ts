/**
 * The one query layer: Kysely over SQLite (default, embedded) or Postgres (a config switch).
 * Column types are chosen to mean the same in both dialects: ids and timestamps are text
 * (UUIDs, ISO-8601 UTC strings that sort lexically), flags are 0/1 integers, JSON is text.
 */
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, PostgresDialect, sql, type Generated, type SqliteDatabase } from 'kysely';
import { makeFolder } from '../../boot/folders.ts';
import type { Role } from '../../contract/admin.ts';
import type { ServiceConfig } from '../config.ts';
import { startCheckpointer } from './checkpointer.ts';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
  /** Migration 0002: 'user' or 'admin' (set only by `skinsight users grant-admin`). */
  role: Generated<Role>;
}

/** Migration 0004: one row per live access token (its `jti`); deleting the row ends the session. */
export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
}

/**
 * Migration 0004: failed logins per account, keyed by an HMAC of the e-mail (the same for
 * taken and free addresses, and no e-mail in the table).
 */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  blocked_until: string | null;
  /** After this time with no new failure the row counts from zero again. */
  reset_at: string;
}

export type ScanStatus = 'pending' | 'processing' | 'completed' | 'failed';

export interface ScansTable {
  id: string;
  user_id: string;
  status: ScanStatus;
  created_at: string;
  updated_at: string;
  uploaded_at: string | null;
  completed_at: string | null;
  consent: number;
  store_image: number;
  closeup: number;
  image_key: string | null;
  image_format: string | null;
  image_size: number | null;
  image_expires_at: string | null;
  result_json: string | null;
  error_code: string | null;
  error_message: string | null;
  attempts: Generated<number>;
  /** Migration 0003: shadow-mode predictions (JSON) and the result-cache key. */
  shadow_json: Generated<string | null>;
  cache_key: Generated<string | null>;
  /** Migration 0004: landmarks and polygons kept apart for an hour (see geometry.ts). */
  geometry_json: Generated<string | null>;
}

export interface ImagesTable {
  key: string;
  bytes: Uint8Array;
  created_at: string;
}

/** Migration 0005: Idempotency-Key claims and the first response they got (storage/idempotency.ts). */
export interface IdempotencyKeysTable {
  /** sha256 of caller, method, route and the client's key: the client's key is never stored as is. */
  key: string;
  /** sha256 of what the request asked for (see idempotency.ts); another body under the key is refused. */
  fingerprint: string;
  /** A random id per claim, so a request whose lease was taken over cannot overwrite the new one. */
  owner: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
  user_id: string | null;
  scan_id: string | null;
  created_at: string;
  /** An in-progress claim older than this is abandoned (its process died) and may be taken over. */
  locked_until: string;
  expires_at: string;
}

/** Migration 0006: webhook events to send and how their delivery went (webhooks/outbox.ts). */
export interface WebhookDeliveriesTable {
  /** The Standard Webhooks `webhook-id` (msg_…): the same on every retry, for the receiver's dedup. */
  id: string;
  event: 'scan.completed' | 'scan.failed';
  scan_id: string;
  url: string;
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: string;
  /** A process sending it now holds it until then (several API processes share the outbox). */
  locked_until: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  users: UsersTable;
  scans: ScansTable;
  images: ImagesTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  idempotency_keys: IdempotencyKeysTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type Db = Kysely<Database>;

export async function createDb(
  config: ServiceConfig['db'],
  options: { onCheckpointError?: (message: string) => void; checkpointIntervalMs?: number } = {},
): Promise<Db> {
  if (config.dialect === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    // Only the service's user may read the data folder; SQLite gives its -wal and -shm files
    // the database file's mode, so creating that 0600 covers all three.
    // makeFolder, not mkdirSync({recursive}): a path under /proc would hang (src/boot/folders.ts).
    makeFolder(path.dirname(config.file), 'the data folder (SKINSIGHT_DATA_DIR)', 0o700);
    fs.chmodSync(path.dirname(config.file), 0o700);
    fs.closeSync(fs.openSync(config.file, 'a', 0o600));
    fs.chmodSync(config.file, 0o600);
    const sqlite = new SQLite(config.file);
    // Deleted rows are overwritten with zeros, not left in free pages (see checkpointAfterDelete).
    sqlite.pragma('secure_delete = ON');
    // WAL: readers never wait on the writer; NORMAL sync is durable across process crashes
    // (the WAL reaches the disk at each checkpoint's fsync, within a second: checkpointer.ts).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // WAL checkpoints run on a thread of their own, not inside a commit on the event loop (checkpointer.ts).
    const checkpointer = startCheckpointer(sqlite, config.file, options.onCheckpointError, options.checkpointIntervalMs);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    // Kysely's destroy closes the connection without waiting for anything: the thread's own
    // connection is closed first, so that a caller that deletes the folder next finds it released.
    const destroy = db.destroy.bind(db);
    db.destroy = async () => {
      await checkpointer.close();
      await destroy();
    };
    return db;
  }
  const { default: pg } = await import('pg');
  // Postgres: deleted tuples are reclaimed by VACUUM; the operator's disk encryption covers the rest.
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.url, max: 10 }) }),
  });
}

/** Distinct SQL texts kept prepared; the service has a few dozen, so the bound is never reached in practice. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew (sqlite3_prepare_v2 each time). The service
 * runs the same few dozen SQL texts over and over (the values are bound parameters), so each
 * text is prepared once and its statement reused; least recently used texts go past the bound.
 * Safe because better-sqlite3 runs a statement to completion inside one synchronous call, and
 * Kysely holds its one connection for the whole of a streamed query; SQLite re-prepares a
 * statement by itself after a schema change (sqlite3_prepare_v2, https://sqlite.org/c3ref/prepare.html).
 */
function withStatementCache(db: BetterSqlite3.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text); // re-inserted below: a Map iterates oldest first
      } else {
        stmt = db.prepare(text);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

/**
 * After a deletion: copy the WAL back into the database and truncate it, so that the deleted
 * rows' old page images do not linger in skinsight.db-wal (secure_delete zeroes them in the
 * database itself). A no-op on Postgres.
 *
 * The checkpoint thread (checkpointer.ts) may hold the checkpoint lock at that moment; SQLite then
 * answers TRUNCATE at once with busy = 1 and no error, without calling the busy handler
 * (sqlite3_wal_checkpoint_v2's documentation), so the result is read and the checkpoint retried
 * (the thread's PASSIVE pass over a small log takes milliseconds). Still busy after ~2 s: it throws.
 */
export async function checkpointAfterDelete(db: Db): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (let attempt = 0; attempt < TRUNCATE_ATTEMPTS; attempt++) {
    const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    if (!rows[0]?.busy) return;
    await new Promise((resolve) => setTimeout(resolve, TRUNCATE_RETRY_MS));
  }
  throw new Error(`the WAL could not be truncated after a deletion (checkpoint busy ${TRUNCATE_ATTEMPTS} times)`);
}
const TRUNCATE_ATTEMPTS = 80;
const TRUNCATE_RETRY_MS = 25;
