/**
 * The PostgreSQL image store (SKINSIGHT_IMAGE_STORE=postgres, the distributed mode's uploads)
 * against the real local PostgreSQL, in a fresh database removed after: bytes come back exactly
 * as stored (every byte value, a photo-sized upload, an empty one), read as base64 text;
 * a missing or deleted key is null.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import { createDatabase, dropDatabase } from '../scripts/cluster.ts';
import { DatabaseImageStore } from '../src/service/storage/db-images.ts';
import { createDb, type Database, type Db } from '../src/service/storage/db.ts';
import { migrateToLatest } from '../src/service/storage/migrations.ts';

const dbName = `skinsight_images_${crypto.randomBytes(4).toString('hex')}`;
let db: Db;
let url: string;

before(async () => {
  url = await createDatabase(dbName);
  db = await createDb({ dialect: 'postgres', url });
  await migrateToLatest(db);
});

after(async () => {
  await db?.destroy();
  await dropDatabase(dbName);
});

describe('the PostgreSQL image store', () => {
  test('bytes round-trip exactly (every byte value, a photo, nothing); missing and deleted keys are null', async () => {
    const store = new DatabaseImageStore(db);
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const photo = crypto.randomBytes(300 * 1024);
    await store.put('scans/every', every);
    await store.put('scans/photo', photo);
    await store.put('scans/empty', new Uint8Array(0));
    assert.deepEqual([...(await store.get('scans/every'))!], [...every]);
    assert.ok(Buffer.from((await store.get('scans/photo'))!).equals(photo));
    assert.equal((await store.get('scans/empty'))?.length, 0);
    assert.equal(await store.get('scans/missing'), null);
    // Put again under the same key: the new bytes win.
    await store.put('scans/every', every.subarray(10, 20));
    assert.deepEqual([...(await store.get('scans/every'))!], [...every.subarray(10, 20)]);
    await store.delete('scans/photo');
    assert.equal(await store.get('scans/photo'), null);
    assert.equal(await store.exists('scans/photo'), false);
  });

  test('uploads are stored uncompressed (STORAGE EXTERNAL): no pglz attempt on bytes that are JPEG/PNG/WebP already', async () => {
    const { rows } = await sql<{ attstorage: string }>`SELECT attstorage FROM pg_attribute WHERE attrelid = 'images'::regclass AND attname = 'bytes'`.execute(db);
    assert.equal(rows[0]?.attstorage, 'e');
    // A photo-sized value that pglz would shrink to ~3.5 kB under the default EXTENDED storage
    // (random bytes would not tell the two apart: pglz gives up on them): stored at its own size.
    const photo = Buffer.alloc(300 * 1024, 0x41);
    await new DatabaseImageStore(db).put('scans/stored', photo);
    const size = await sql<{ n: number }>`SELECT pg_column_size(bytes) AS n FROM images WHERE key = 'scans/stored'`.execute(db);
    assert.ok(Number(size.rows[0]!.n) >= photo.length, `stored in ${size.rows[0]!.n} bytes`);
  });

  test('a put sends the upload to PostgreSQL once (the upsert takes EXCLUDED, not a second copy)', async () => {
    const events: LogEvent[] = [];
    const logged = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }), log: (e) => void events.push(e) });
    try {
      const store = new DatabaseImageStore(logged);
      const photo = crypto.randomBytes(100 * 1024);
      await store.put('scans/once', photo);
      await store.put('scans/once', photo.subarray(0, 5000));
      const sent = events.flatMap((e) => e.query.parameters).filter((p) => Buffer.isBuffer(p)).reduce((n, p) => n + (p as Buffer).length, 0);
      assert.equal(sent, photo.length + 5000);
      assert.ok(Buffer.from((await store.get('scans/once'))!).equals(photo.subarray(0, 5000)));
    } finally {
      await logged.destroy();
    }
  });
});
