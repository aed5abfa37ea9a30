/**
 * The service's storage steps, before and after issue #14's second service pass, side by side in
 * one process (alternating, so both see the same load): CPU time of this process (the event loop
 * that runs them) and wall time.
 *
 *   node --import tsx bench/storage.bench.ts [--runs 200] [--no-postgres]
 *
 * - statements: the 8 SQLite statements of one scan through Kysely preparing each query anew
 *   (before) vs createDb's statement cache (after);
 * - attempt: an attempt's start as SELECT * then UPDATE (before) vs ScanRepo.startAttempt's one
 *   UPDATE … RETURNING (after), on SQLite and PostgreSQL;
 * - image: a 280 kB upload read from the PostgreSQL image store as the bytea (hex text, before)
 *   vs as base64 text (DatabaseImageStore.get, after);
 * - checkpoint: the statements of one scan on a connection with SQLite's automatic checkpoints
 *   (before) vs with them off, as the service's connection now is (storage/checkpointer.ts),
 *   alternating scan by scan: mean, p99, max and how many scans took over 20 ms.
 * - put: a 280 kB upload stored with the upsert binding it twice (its DO UPDATE as a second
 *   parameter, before) vs DatabaseImageStore.put (EXCLUDED, after); also the backends' CPU.
 * PostgreSQL: the local server (SKINSIGHT_PG_ADMIN_URL), a fresh database dropped after.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import pg from 'pg';
import { PG_ADMIN_URL } from '../scripts/cluster.ts';
import { DatabaseImageStore } from '../src/service/storage/db-images.ts';
import { createDb, type Database, type Db } from '../src/service/storage/db.ts';
import { migrateToLatest } from '../src/service/storage/migrations.ts';
import { ScanRepo } from '../src/service/storage/scans.ts';
import { SessionRepo } from '../src/service/storage/sessions.ts';
import { fixture } from '../testkit/fixtures.ts';
import { postgresBackends, processCpuMs } from './proc-cpu.ts';

const { values: args } = commandLine({ options: { runs: { type: 'string', default: '200' }, postgres: { type: 'boolean', default: true } }, allowNegative: true });
const RUNS = Number(args.runs);
// A stored result's size (the face mesh kept apart): ~7 kB of text, ~12 kB of geometry.
const RESULT = JSON.stringify({ r: 'x'.repeat(7000) });
const GEOMETRY = JSON.stringify({ g: 'y'.repeat(12000) });

type Sample = { wall: number[]; cpu: number[]; server: number[] };
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const at = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const report: Record<string, unknown> = { runs: RUNS, load_average_1min: [+os.loadavg()[0].toFixed(1)] };

/** Alternate `before` and `after` RUNS times over fresh inputs; median wall and mean CPU ms of each. */
async function ab(name: string, variants: Record<'before' | 'after', (i: number) => Promise<unknown>>, backends: number[] = []) {
  const s: Record<string, Sample> = { before: { wall: [], cpu: [], server: [] }, after: { wall: [], cpu: [], server: [] } };
  const serverCpu = () => backends.reduce((n, pid) => n + processCpuMs(pid), 0);
  for (let i = 0; i < RUNS; i++) {
    for (const k of ['before', 'after'] as const) {
      const c = process.cpuUsage();
      const b = serverCpu();
      const t = performance.now();
      await variants[k](i);
      s[k]!.wall.push(performance.now() - t);
      const d = process.cpuUsage(c);
      s[k]!.cpu.push((d.user + d.system) / 1000);
      s[k]!.server.push(serverCpu() - b);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The PostgreSQL backends' CPU (10 ms ticks from /proc, so only its mean over many runs means anything).
  const server = (v: Sample) => (backends.length ? { postgres_cpu_mean_ms: r3(mean(v.server)) } : {});
  report[name] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { wall_median_ms: r3(at(v.wall, 0.5)), cpu_mean_ms: r3(mean(v.cpu)), ...server(v) }]));
  console.error(name, JSON.stringify(report[name]));
}

async function seedScans(db: Db, n: number): Promise<string[]> {
  await db.insertInto('users').values({ id: 'u', email: 'u@example.org', password_hash: 'h', created_at: new Date().toISOString() }).execute();
  await new SessionRepo(db).create({ id: 's', userId: 'u', now: new Date(), expiresAt: new Date(Date.now() + 1e9) });
  const scans = new ScanRepo(db);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = crypto.randomUUID();
    ids.push(id);
    await scans.create({ id, userId: 'u', now: new Date().toISOString() });
    await db.updateTable('scans').set({ status: 'processing' }).where('id', '=', id).execute();
  }
  return ids;
}

/** Before: read the row, then count the attempt (two statements). */
async function oldStart(db: Db, id: string) {
  const scan = await new ScanRepo(db).get(id);
  if (scan?.status === 'processing') await db.updateTable('scans').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', id).execute();
}

/** The statements one scan runs on the service's connection: auth ×2, init, the upload's read and update, the job's three. */
async function scanStatements(db: Kysely<Database>) {
  const scans = new ScanRepo(db);
  const sessions = new SessionRepo(db);
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await sessions.userOf('s', 'u');
  await scans.create({ id, userId: 'u', now });
  await sessions.userOf('s', 'u');
  await scans.getOwned(id, 'u');
  await scans.markProcessing(id, { imageKey: `scans/${id}`, format: 'jpeg', size: 1, storeImage: false, closeup: false, imageExpiresAt: null, now });
  await scans.startAttempt(id, 3);
  await scans.complete(id, RESULT, now, { geometryJson: GEOMETRY });
  await scans.clearImage(id);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-storage-bench-'));
try {
  // SQLite: the service's connection (createDb) and a plain Kysely on the same file.
  const file = path.join(dir, 'skinsight.db');
  const db = await createDb({ dialect: 'sqlite', file });
  await migrateToLatest(db);
  const raw = new SQLite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const plain = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const ids = await seedScans(db, RUNS);
  for (let i = 0; i < 20; i++) await scanStatements(db);
  await ab('sqlite_statements_of_one_scan', { before: () => scanStatements(plain), after: () => scanStatements(db) });
  await ab('sqlite_attempt_start', { before: (i) => oldStart(db, ids[i]!), after: (i) => new ScanRepo(db).startAttempt(ids[i]!, 3) });
  await plain.destroy();
  await db.destroy();

  // Checkpoints: the same scan's statements on two connections, with and without automatic
  // checkpoints, alternating scan by scan (both see the same load).
  const conns: Record<'before' | 'after', Kysely<Database>> = {} as never;
  for (const k of ['before', 'after'] as const) {
    const c = new SQLite(path.join(dir, `ckpt-${k}.db`));
    c.pragma('secure_delete = ON');
    c.pragma('journal_mode = WAL');
    c.pragma('synchronous = NORMAL');
    if (k === 'after') c.pragma('wal_autocheckpoint = 0');
    conns[k] = new Kysely<Database>({ dialect: new SqliteDialect({ database: c }) });
    await migrateToLatest(conns[k]);
    await seedScans(conns[k], 0);
  }
  const perScan: Record<string, number[]> = { before: [], after: [] };
  for (let i = 0; i < Math.max(RUNS, 1000); i++) {
    for (const k of ['before', 'after'] as const) {
      const t = performance.now();
      await scanStatements(conns[k]);
      perScan[k]!.push(performance.now() - t);
    }
  }
  for (const c of Object.values(conns)) await c.destroy();
  report.sqlite_checkpoint_per_scan = Object.fromEntries(
    Object.entries(perScan).map(([k, v]) => [
      k,
      { scans: v.length, mean_ms: r3(v.reduce((a, b) => a + b, 0) / v.length), p99_ms: r3(at(v, 0.99)), max_ms: r3(at(v, 1)), over_20_ms: v.filter((x) => x > 20).length },
    ]),
  );
  console.error('sqlite_checkpoint_per_scan', JSON.stringify(report.sqlite_checkpoint_per_scan));

  if (args.postgres) {
    const name = `skinsight_storage_bench_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${name}`;
      const pgdb = await createDb({ dialect: 'postgres', url: url.toString() });
      await migrateToLatest(pgdb);
      const pids = await seedScans(pgdb, RUNS);
      await ab('postgres_attempt_start', { before: (i) => oldStart(pgdb, pids[i]!), after: (i) => new ScanRepo(pgdb).startAttempt(pids[i]!, 3) });
      const store = new DatabaseImageStore(pgdb);
      await store.put('scans/bench', fixture('faces', 'obama.jpg'));
      const hex = async () => new Uint8Array((await pgdb.selectFrom('images').select('bytes').where('key', '=', 'scans/bench').executeTakeFirstOrThrow()).bytes);
      await ab('postgres_image_read_280kB', { before: hex, after: () => store.get('scans/bench') });
      // A put as the upload route makes it: before, the upsert bound the upload a second time for its DO UPDATE ($4).
      const photo = fixture('faces', 'obama.jpg');
      const twice = (key: string) =>
        pgdb
          .insertInto('images')
          .values({ key, bytes: photo, created_at: new Date().toISOString() })
          .onConflict((oc) => oc.column('key').doUpdateSet({ bytes: photo, created_at: new Date().toISOString() }))
          .execute();
      const backends = await postgresBackends(url.toString());
      await ab('postgres_image_put_280kB', { before: (i) => twice(`scans/put-${i}-a`), after: (i) => store.put(`scans/put-${i}-b`, photo) }, backends);
      await pgdb.destroy();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
(report.load_average_1min as number[]).push(+os.loadavg()[0].toFixed(1));
console.log(JSON.stringify(report, null, 2));
