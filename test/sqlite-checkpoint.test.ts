/**
 * WAL checkpoints run on their own thread (src/service/storage/checkpointer.ts), never inside a
 * commit on the event loop: the service's connection has automatic checkpoints off, and what
 * it writes reaches the database file within about a second anyway; closing waits for the
 * thread, so the folder can be removed right after.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { checkpointAfterDelete, createDb } from '../src/service/storage/db.ts';
import { migrateToLatest } from '../src/service/storage/migrations.ts';
import { until } from '../testkit/http.ts';

test('SQLite: no checkpoint in a commit; the thread copies the log into the database; close waits for it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-ckpt-'));
  const file = path.join(dir, 'skinsight.db');
  const db = await createDb({ dialect: 'sqlite', file });
  try {
    await migrateToLatest(db);
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    assert.equal(rows[0]?.wal_autocheckpoint, 0);
    const before = fs.statSync(file).size;
    // ~2 MB of rows: below the default 1000-page automatic checkpoint, so only the thread copies them.
    const text = 'x'.repeat(20_000);
    for (let i = 0; i < 100; i++) {
      await db.insertInto('images').values({ key: `scans/k${i}`, bytes: Buffer.from(text + i), created_at: new Date().toISOString() }).execute();
    }
    await until('the checkpoint thread copied the log into the database', async () => fs.statSync(file).size >= before + 2_000_000, 10_000);
  } finally {
    await db.destroy();
  }
  // Both connections are closed: the last one removed the log.
  assert.equal(fs.existsSync(`${file}-wal`), false);
  fs.rmSync(dir, { recursive: true });
});

test('SQLite: a deletion truncates the log even while the checkpoint thread is checkpointing (busy is retried, not ignored)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-ckpt-'));
  const file = path.join(dir, 'skinsight.db');
  // A thread checkpointing every millisecond: without the retry most TRUNCATEs come back busy.
  const db = await createDb({ dialect: 'sqlite', file }, { checkpointIntervalMs: 1 });
  try {
    await migrateToLatest(db);
    for (let i = 0; i < 40; i++) {
      await db.insertInto('images').values({ key: `scans/d${i}`, bytes: Buffer.from('y'.repeat(50_000)), created_at: new Date().toISOString() }).execute();
      await db.deleteFrom('images').where('key', '=', `scans/d${i}`).execute();
      await checkpointAfterDelete(db);
      assert.equal(fs.statSync(`${file}-wal`).size, 0, `deletion ${i}: the log still holds the deleted rows' pages`);
    }
  } finally {
    await db.destroy();
  }
  fs.rmSync(dir, { recursive: true });
});
