/**
 * Uploads kept in the database (`images` table, bytea on Postgres), so API and worker processes
 * on different machines share them without a shared disk (SKINSIGHT_IMAGE_STORE=postgres).
 * Uploads are ≤ 10 MB by default and live only until analysed unless the user keeps them, so
 * the table stays small; an S3-compatible store would implement the same ImageStore interface.
 */
import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { ImageStore } from './images.ts';

export class DatabaseImageStore implements ImageStore {
  constructor(private readonly db: Db) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const row = { key, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), created_at: new Date().toISOString() };
    // The update takes the proposed row's values (EXCLUDED, https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT):
    // with `doUpdateSet({ bytes: row.bytes })` the upload went to PostgreSQL twice, as $2 and $4.
    await this.db
      .insertInto('images')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ bytes: eb.ref('excluded.bytes'), created_at: eb.ref('excluded.created_at') })))
      .execute();
  }

  async get(key: string): Promise<Uint8Array | null> {
    // Read as base64 text, not as the bytea itself: pg reads every result in the text format,
    // where a bytea is hex, twice its size, decoded in JS-driven steps on the worker's event loop
    // (for a 280 kB photo about a third of a worker's event-loop time per scan: bench/README.md).
    // Base64 is 4/3 of the size and Buffer.from decodes it natively; it skips the line breaks
    // PostgreSQL's encode() puts every 76 characters (https://www.postgresql.org/docs/current/functions-binarystring.html).
    // (pg's `binary: true` query option would not help: its protocol parser decodes every field as UTF-8 text.)
    const row = await this.db
      .selectFrom('images')
      .select(sql<string>`encode(bytes, 'base64')`.as('base64'))
      .where('key', '=', key)
      .executeTakeFirst();
    return row ? new Uint8Array(Buffer.from(row.base64, 'base64')) : null;
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('images').where('key', '=', key).execute();
  }

  async exists(key: string): Promise<boolean> {
    const row = await this.db.selectFrom('images').select('key').where('key', '=', key).executeTakeFirst();
    return row !== undefined;
  }
}
