/**
 * The one query layer: Kysely over SQLite (default, embedded) or Postgres (a config switch).
 * Column types are chosen to mean the same in both dialects: ids and timestamps are text
 * (UUIDs, ISO-8601 UTC strings that sort lexically), flags are 0/1 integers, JSON is text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect, PostgresDialect, type Generated } from 'kysely';
import type { ServiceConfig } from '../config.ts';

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  created_at: string;
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
}

export interface ImagesTable {
  key: string;
  bytes: Uint8Array;
  created_at: string;
}

export interface Database {
  users: UsersTable;
  scans: ScansTable;
  images: ImagesTable;
}

export type Db = Kysely<Database>;

export async function createDb(config: ServiceConfig['db']): Promise<Db> {
  if (config.dialect === 'sqlite') {
    const { default: SQLite } = await import('better-sqlite3');
    fs.mkdirSync(path.dirname(config.file), { recursive: true });
    const sqlite = new SQLite(config.file);
    // WAL: readers never wait on the writer; NORMAL sync is durable across process crashes.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  const { default: pg } = await import('pg');
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: config.url, max: 10 }) }),
  });
}
