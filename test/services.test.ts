/**
 * One composition root (src/service/services.ts) for `serve` and `skinsight worker`, and one rule
 * for their engine threads and jobs in flight (src/service/sizing.ts). The roots run for real:
 * serve on SQLite with the in-process queue, the worker on a fresh PostgreSQL database and Redis prefix.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createDatabase, dropDatabase, REDIS_URL } from '../scripts/cluster.ts';
import type { EnginePool } from '../src/engine/pool.ts';
import { buildApp, loadConfig } from '../src/service/index.ts';
import { MemoryJobQueue } from '../src/service/queue/memory.ts';
import { enginesKey } from '../src/service/queue/remote-analyzer.ts';
import { sizing } from '../src/service/sizing.ts';
import { startWorker } from '../src/service/worker.ts';

describe('the sizing rule', () => {
  test('one engine thread per core and two jobs per engine thread, unless set', () => {
    assert.deepEqual(sizing({ workers: undefined, workerConcurrency: undefined }, 8), { engineThreads: 8, jobConcurrency: 16 });
    assert.deepEqual(sizing({ workers: 3, workerConcurrency: undefined }, 8), { engineThreads: 3, jobConcurrency: 6 });
    assert.deepEqual(sizing({ workers: undefined, workerConcurrency: 5 }, 8), { engineThreads: 8, jobConcurrency: 5 });
    assert.deepEqual(sizing({ workers: 2, workerConcurrency: 1 }, 8), { engineThreads: 2, jobConcurrency: 1 });
  });
});

describe('serve and worker from the same configuration', () => {
  const id = crypto.randomBytes(4).toString('hex');
  const dbName = `skinsight_services_${id}`;
  const prefix = `skinsight-services-${id}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-services-'));
  // SKINSIGHT_WORKERS unset (serve used to start a thread per core but size its queue for 2) and
  // SKINSIGHT_WORKER_CONCURRENCY set (serve used to ignore it).
  const shared = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SKINSIGHT_DATA_DIR: dataDir,
    SKINSIGHT_JWT_SECRET: `services-secret-${id}-0123456789`,
    SKINSIGHT_WORKER_CONCURRENCY: '3',
  };

  after(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await dropDatabase(dbName);
  });

  test('give the same engine threads and jobs in flight', { timeout: 180_000 }, async () => {
    const expected = { engineThreads: os.availableParallelism(), jobConcurrency: 3 };

    const app = await buildApp(loadConfig(shared), { logger: false });
    try {
      assert.deepEqual(app.skinsight.sizing, expected);
      assert.equal((app.skinsight.analyzer as EnginePool).size, expected.engineThreads, 'serve: engine threads');
      assert.ok(app.skinsight.queue instanceof MemoryJobQueue);
      assert.equal(app.skinsight.queue.concurrency, expected.jobConcurrency, 'serve: jobs handed to the pool at once');
    } finally {
      await app.close();
    }

    const databaseUrl = await createDatabase(dbName);
    const worker = await startWorker(
      loadConfig({
        ...shared,
        SKINSIGHT_QUEUE: 'bullmq',
        SKINSIGHT_DB: 'postgres',
        SKINSIGHT_DATABASE_URL: databaseUrl,
        SKINSIGHT_IMAGE_STORE: 'postgres',
        SKINSIGHT_REDIS_URL: REDIS_URL,
        SKINSIGHT_REDIS_PREFIX: prefix,
      }),
    );
    try {
      assert.deepEqual(worker.sizing, expected);
      assert.equal(worker.pool.size, expected.engineThreads, 'worker: engine threads');
      // What the worker told the API processes it runs at once (its BullMQ concurrency).
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
      const published = JSON.parse((await redis.hget(enginesKey(prefix), worker.id))!);
      redis.disconnect();
      assert.equal(published.concurrency, expected.jobConcurrency, 'worker: jobs at once');
    } finally {
      await worker.close();
    }
  });
});
