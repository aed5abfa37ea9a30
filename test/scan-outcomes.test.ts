/**
 * Where a scan's outcome is saved and announced (src/service/outcomes.ts): every path that ends
 * a scan (processor, recovery, the BullMQ sweeper, a worker's last failed try) goes through
 * ScanOutcomes, which writes the webhook event once, only when it moved the row. Real SQLite,
 * the real webhook outbox (its rows are the events), real Redis and BullMQ (unique key prefix).
 * Also: a `?wait=true` request in distributed mode waits on the job's event, not by polling the row;
 * and the stored form written from the result object is the same text as by the JSON round trip,
 * also when an engine pool's thread writes it (analyzeText).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { resultText, type AnalysisResult, type AnalysisWithShadow } from '../src/engine/api.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { joinGeometry, splitGeometry, splitGeometryOf } from '../src/service/geometry.ts';
import { FIXTURES } from '../testkit/fixtures.ts';
import { ScanOutcomes } from '../src/service/outcomes.ts';
import { BullMqJobQueue, SCAN_QUEUE } from '../src/service/queue/bullmq.ts';
import { recoverScans } from '../src/service/recovery.ts';
import { createDb, type Db } from '../src/service/storage/db.ts';
import { LocalImageStore } from '../src/service/storage/images.ts';
import { migrateToLatest } from '../src/service/storage/migrations.ts';
import { ScanRepo } from '../src/service/storage/scans.ts';
import { MemoryJobQueue } from '../src/service/queue/memory.ts';
import { WebhookOutbox } from '../src/service/webhooks/outbox.ts';

const REDIS_URL = process.env.SKINSIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
const clock = () => new Date();

let dir: string;
let db: Db;
let scans: ScanRepo;
let outcomes: ScanOutcomes;
const userId = crypto.randomUUID();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-outcomes-'));
  db = await createDb({ dialect: 'sqlite', file: path.join(dir, 'skinsight.db') });
  await migrateToLatest(db);
  await db.insertInto('users').values({ id: userId, email: `${userId}@example.org`, password_hash: 'x', created_at: clock().toISOString() }).execute();
  scans = new ScanRepo(db);
  // Not started: enqueue only records the event rows, which is what is checked here.
  const outbox = new WebhookOutbox(db, { url: 'http://127.0.0.1:9/hook', secret: 'whsec_test', allowPrivate: true, retryBaseMs: 1000 }, clock, log);
  outcomes = new ScanOutcomes(scans, outbox, clock, log);
});

after(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A scan as a crash or a lost job leaves it: processing, last touched `ageMs` ago. */
async function processingScan(ageMs: number, imageKey: string | null = null): Promise<string> {
  const id = crypto.randomUUID();
  const then = new Date(Date.now() - ageMs).toISOString();
  await scans.create({ id, userId, now: then });
  await db.updateTable('scans').set({ status: 'processing', image_key: imageKey, uploaded_at: then, updated_at: then }).where('id', '=', id).execute();
  return id;
}

function events(scanId: string) {
  return db.selectFrom('webhook_deliveries').select(['event', 'payload']).where('scan_id', '=', scanId).execute();
}

describe('ScanOutcomes: one place saves and announces', () => {
  test('fail saves the failure and records scan.failed once; a second fail of the same scan changes nothing', async () => {
    const id = await processingScan(0);
    assert.equal(await outcomes.fail(id, 'INTERNAL', 'first'), true);
    assert.equal(await outcomes.fail(id, 'ANALYSIS_ABORTED', 'second'), false);
    const scan = await scans.get(id);
    assert.equal(scan?.status, 'failed');
    assert.equal(scan?.error_message, 'first');
    const ev = await events(id);
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.event, 'scan.failed');
    assert.deepEqual(JSON.parse(ev[0]!.payload).data.error, { code: 'INTERNAL', message: 'first' });
  });

  test('recovery marks a scan whose upload is gone failed, through ScanOutcomes (one scan.failed)', async () => {
    const id = await processingScan(0, `scans/missing-${crypto.randomUUID()}`);
    const queue = new MemoryJobQueue(async () => {}, { capacity: 10, concurrency: 1 });
    await recoverScans({ scans, images: new LocalImageStore(path.join(dir, 'images')), queue, log, outcomes });
    await queue.close();
    assert.equal((await scans.get(id))?.status, 'failed');
    assert.deepEqual((await events(id)).map((e) => e.event), ['scan.failed']);
  });
});

describe('BullMQ (Redis)', () => {
  const prefix = `skinsight-test-outcomes-${crypto.randomUUID()}`;
  let redis: Redis;
  let queue: Queue;

  before(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(SCAN_QUEUE, { connection: redis, prefix });
  });

  after(async () => {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    redis.disconnect();
  });

  test('the sweeper records a job that used all its tries as failed, with its scan.failed event, once', async () => {
    const id = await processingScan(120_000);
    const worker = new Worker(SCAN_QUEUE, async () => {
      throw new Error('worker lost its database');
    }, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
    const failed = new Promise<void>((r) => worker.once('failed', () => r()));
    await queue.add('scan', { scanId: id }, { jobId: id, attempts: 1 });
    await failed;
    await worker.close();
    await worker.disconnect();

    const bull = new BullMqJobQueue({ url: REDIS_URL, prefix, capacity: 10, attempts: 1, scans, log, waitTimeoutMs: 1000, sweepIntervalMs: 60_000, clock, outcomes });
    try {
      await bull.sweep();
      await bull.sweep(); // a second pass finds it failed already: no second event
    } finally {
      await bull.close();
    }
    const scan = await scans.get(id);
    assert.equal(scan?.status, 'failed');
    assert.equal(scan?.error_message, 'worker lost its database');
    const ev = await events(id);
    assert.deepEqual(ev.map((e) => e.event), ['scan.failed']);
    assert.equal(JSON.parse(ev[0]!.payload).data.error.code, 'INTERNAL');
  });

  test('?wait=true waits on the job’s completed event: the row is read about once, not polled, and handed back finished', async () => {
    let reads = 0;
    const counting = new Proxy(scans, {
      get(target, prop, receiver) {
        if (prop === 'get') return (id: string) => (reads++, target.get(id));
        return Reflect.get(target, prop, receiver);
      },
    });
    const bull = new BullMqJobQueue({ url: REDIS_URL, prefix, capacity: 10, attempts: 1, scans: counting, log, waitTimeoutMs: 20_000, sweepIntervalMs: 60_000, clock, outcomes });
    // A worker that takes 2.5 s, then saves the outcome as the processor does.
    const worker = new Worker(SCAN_QUEUE, async (job) => {
      await new Promise((r) => setTimeout(r, 2500));
      await outcomes.complete(job.data.scanId, '{}', {});
    }, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
    try {
      const id = await processingScan(0);
      const t0 = performance.now();
      const finished = await bull.enqueue({ scanId: id }).finished;
      const ms = performance.now() - t0;
      assert.equal((await scans.get(id))?.status, 'completed');
      // The waiter hands back the finished row it read, so the route answers without reading it again.
      assert.equal(finished?.scan.id, id);
      assert.equal(finished?.scan.status, 'completed');
      assert.equal(finished?.scan.result_json, '{}');
      assert.equal(finished?.responseResultJson, undefined);
      assert.ok(ms < 10_000, `took ${ms} ms`);
      // Polling every 20–200 ms would read it a dozen times in 2.5 s; the safety re-read is once a second.
      assert.ok(reads <= 4, `the row was read ${reads} times`);
    } finally {
      await worker.close();
      await worker.disconnect();
      await bull.close();
    }
  });
});

describe('the stored form of a result', () => {
  // Real engine results of every fixture (the speed-parity snapshot).
  const snapshot = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'data/speed-snapshot.json'), 'utf8')) as { results: Record<string, object> };

  test('splitGeometryOf(result) gives the text splitGeometry(JSON.stringify(result)) gives, leaves the result as it was, and joins back to it', () => {
    const results = Object.entries(snapshot.results);
    assert.ok(results.length >= 5);
    for (const [name, result] of results) {
      const text = JSON.stringify(result);
      const copy = structuredClone(result);
      const fromObject = splitGeometryOf(copy);
      assert.deepEqual(fromObject, splitGeometry(text), name);
      assert.equal(JSON.stringify(copy), text, `${name}: the object was changed`);
      assert.equal(joinGeometry(fromObject.resultJson, fromObject.geometryJson), text, name);
    }
  });

  test('resultText gives the full text, the stored form and the shadow predictions apart, as the service wrote them from the object', () => {
    for (const [name, result] of Object.entries(snapshot.results)) {
      const shadow = [{ task: 'acne_binary' as const, name: 'cand', version: '9.9.9', label: 'acne', probabilities: { acne: 0.6, no_acne: 0.4 } }];
      const text = JSON.stringify(result);
      const withShadow = { ...structuredClone(result), shadow } as unknown as AnalysisWithShadow;
      const out = resultText(withShadow, { withoutGeometry: true });
      assert.equal(out.resultJson, text, name);
      assert.deepEqual(out.withoutGeometry, splitGeometry(text), name);
      assert.equal(out.shadowJson, JSON.stringify(shadow), name);
      assert.deepEqual(out.shadowModels, [{ task: 'acne_binary', name: 'cand', version: '9.9.9' }]);
      assert.deepEqual(out.timings_ms, (result as AnalysisResult).timings_ms);
      const plain = resultText(structuredClone(result) as AnalysisWithShadow);
      assert.equal(plain.withoutGeometry, undefined);
      assert.equal(plain.shadowJson, null);
    }
  });

  test("an engine pool's analyzeText is its analyze written as text on the worker thread", async () => {
    const pool = await createEnginePool({ workers: 1 });
    try {
      const photo = fs.readFileSync(path.join(FIXTURES, 'faces/obama.jpg'));
      // Timings and the time stamp differ from run to run; everything else is the same analysis.
      const comparable = (r: AnalysisResult) => ({ ...r, timings_ms: Object.keys(r.timings_ms), generated_at: typeof r.generated_at });
      const size = photo.length;
      const object = await pool.analyze(photo);
      const text = await pool.analyzeText(photo, {}, { withoutGeometry: true });
      assert.equal(photo.length, size, "the caller's bytes are left as they were");
      const parsed = JSON.parse(text.resultJson) as AnalysisResult;
      assert.deepEqual(comparable(parsed), comparable(object));
      assert.deepEqual(text.withoutGeometry, splitGeometry(text.resultJson));
      assert.deepEqual(text.timings_ms, parsed.timings_ms);
      assert.deepEqual(text.models, parsed.models);
      assert.equal(text.shadowJson, null);
    } finally {
      await pool.close();
    }
  });
});
