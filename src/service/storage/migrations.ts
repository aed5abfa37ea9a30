/**
 * Schema migrations, kept in code (no file loader) and written with Kysely's schema builder
 * only, so the same list runs on SQLite and on Postgres.
 */
import { Migrator, PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_users_and_scans': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('scans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('uploaded_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('consent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('store_image', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('closeup', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('image_key', 'text')
        .addColumn('image_format', 'text')
        .addColumn('image_size', 'integer')
        .addColumn('image_expires_at', 'text')
        .addColumn('result_json', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('scans_user_created').on('scans').columns(['user_id', 'created_at']).execute();
      await db.schema.createIndex('scans_status').on('scans').column('status').execute();
      await db.schema.createIndex('scans_image_expires').on('scans').column('image_expires_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('scans').execute();
      await db.schema.dropTable('users').execute();
    },
  },
  '0002_user_role': {
    // 'user' or 'admin'; only the operator's `skinsight users grant-admin` sets admin.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('users').addColumn('role', 'text', (c) => c.notNull().defaultTo('user')).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('users').dropColumn('role').execute();
    },
  },
  '0003_scale_out': {
    // shadow_json: candidate predictions in shadow mode (never shown to the user);
    // cache_key: the result-cache entry this scan made or used, deleted with the scan;
    // images: uploads in the database (SKINSIGHT_IMAGE_STORE=postgres), shared by every process.
    async up(db: Kysely<any>) {
      await db.schema.alterTable('scans').addColumn('shadow_json', 'text').execute();
      await db.schema.alterTable('scans').addColumn('cache_key', 'text').execute();
      const bytesType = db.getExecutor().adapter instanceof PostgresAdapter ? sql`bytea` : sql`blob`;
      await db.schema
        .createTable('images')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('bytes', bytesType, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('scans_cache_key').on('scans').column('cache_key').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('scans_cache_key').execute();
      await db.schema.dropTable('images').execute();
      await db.schema.alterTable('scans').dropColumn('cache_key').execute();
      await db.schema.alterTable('scans').dropColumn('shadow_json').execute();
    },
  },
  '0004_sessions_and_login_throttle': {
    // sessions: a token is good only while its row exists (logout, password change, deletion);
    // login_throttle: failed logins per account (see storage/login-throttle.ts);
    // scans.geometry_json: the mesh and polygons, kept an hour unless SKINSIGHT_STORE_LANDMARKS.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('blocked_until', 'text')
        .addColumn('reset_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('scans').addColumn('geometry_json', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('scans').dropColumn('geometry_json').execute();
      await db.schema.dropTable('login_throttle').execute();
      await db.schema.dropTable('sessions').execute();
    },
  },
  '0005_idempotency_keys': {
    // Idempotency-Key replays (issue #16): one row per (caller, route, key) for 24 h, shared by
    // every API process. scan_id/user_id cascade, so a deleted scan or account takes the stored
    // response (which may embed its result) with it.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('response_status', 'integer')
        .addColumn('response_type', 'text')
        .addColumn('response_body', 'text')
        .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('scan_id', 'text', (c) => c.references('scans.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('idempotency_keys').execute();
    },
  },
  '0006_webhook_deliveries': {
    // The webhook outbox and delivery log (issue #16): a row per event, written in the same
    // process that finished the scan, so a restart between the outcome and the POST loses none.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_created').on('webhook_deliveries').column('created_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('webhook_deliveries').execute();
    },
  },
  '0007_images_uncompressed': {
    // Uploads are JPEG/PNG/WebP: already compressed, so PostgreSQL's TOAST compression (pglz,
    // tried on every value over ~2 kB) spends CPU on each upload and then stores the bytes as
    // they were. STORAGE EXTERNAL keeps them out of line, uncompressed
    // (https://www.postgresql.org/docs/15/storage-toast.html); the bytes are the same. Only
    // new rows are affected; SQLite has no such setting.
    async up(db: Kysely<any>) {
      if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`ALTER TABLE images ALTER COLUMN bytes SET STORAGE EXTERNAL`.execute(db);
    },
    async down(db: Kysely<any>) {
      if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`ALTER TABLE images ALTER COLUMN bytes SET STORAGE EXTENDED`.execute(db);
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Bring the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${reason}`, { cause: error });
  }
}
