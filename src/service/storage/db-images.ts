/**
 * Uploads kept in the database (`images` table, bytea on Postgres), so API and worker processes
 * on different machines share them without a shared disk (SKINSIGHT_IMAGE_STORE=postgres).
 * Uploads are ≤ 10 MB by default and live only until analysed unless the user keeps them, so
 * the table stays small; an S3-compatible store would implement the same ImageStore interface.
 */
import type { Db } from './db.ts';
import type { ImageStore } from './images.ts';

export class DatabaseImageStore implements ImageStore {
  constructor(private readonly db: Db) {}

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const row = { key, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), created_at: new Date().toISOString() };
    await this.db
      .insertInto('images')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet({ bytes: row.bytes, created_at: row.created_at }))
      .execute();
  }

  async get(key: string): Promise<Uint8Array | null> {
    const row = await this.db.selectFrom('images').select('bytes').where('key', '=', key).executeTakeFirst();
    return row ? new Uint8Array(row.bytes) : null;
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('images').where('key', '=', key).execute();
  }

  async exists(key: string): Promise<boolean> {
    const row = await this.db.selectFrom('images').select('key').where('key', '=', key).executeTakeFirst();
    return row !== undefined;
  }
}
