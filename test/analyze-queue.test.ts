/**
 * Synchronous analyses across Redis (distributed mode): the API's RemoteAnalyzer and a BullMQ
 * worker running the job as `skinsight worker` does. The outcome crosses as structured data,
 * so the engine's code and message arrive exactly as raised; failures that another try cannot
 * change are not retried.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Analyzer } from '../src/engine/api.ts';
import { createEngine } from '../src/engine/index.ts';
import { SkinsightError, isSkinsightError } from '../src/engine/errors.ts';
import { AnalysisResult } from '../src/engine/result/schema.ts';
import { runAnalyzeJob, type AnalyzeJobData } from '../src/service/queue/analyze-job.ts';
import { ANALYZE_QUEUE } from '../src/service/queue/bullmq.ts';
import { RemoteAnalyzer } from '../src/service/queue/remote-analyzer.ts';
import { fixture } from '../testkit/fixtures.ts';

const REDIS_URL = process.env.SKINSIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What the worker analyses with; swapped per test. */
let analyzer: Pick<Analyzer, 'analyze'>;
let calls = 0;

/** The rejection of a remote analysis, as a SkinsightError. */
async function remoteError(remote: RemoteAnalyzer, bytes: Buffer): Promise<SkinsightError> {
  const err = await remote.analyze(bytes).then(
    () => assert.fail('the analysis should have failed'),
    (e: unknown) => e,
  );
  assert.ok(isSkinsightError(err), `not a SkinsightError: ${String(err)}`);
  return err;
}

describe('analyses over the queue', () => {
  const prefix = `skinsight-test-${crypto.randomUUID().slice(0, 8)}`;
  let engine: Analyzer;
  let worker: Worker;
  let remote: RemoteAnalyzer;
  let connection: Redis;

  before(async () => {
    engine = await createEngine();
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    worker = new Worker(
      ANALYZE_QUEUE,
      async (job: Job<AnalyzeJobData>) => {
        calls++;
        return (await runAnalyzeJob(analyzer, job)).outcome;
      },
      { connection, prefix, concurrency: 1 },
    );
    remote = new RemoteAnalyzer(REDIS_URL, prefix, 60_000);
  });

  after(async () => {
    await remote.close();
    await worker.close();
    connection.disconnect();
    await engine.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test("a real photo without a face fails with the engine's own code and message, once", async () => {
    analyzer = engine;
    calls = 0;
    const rocket = fixture('non-faces', 'rocket.jpg');
    const local = await engine.analyze(rocket).then(
      () => assert.fail('no face expected'),
      (e: SkinsightError) => e,
    );
    const err = await remoteError(remote, rocket);
    assert.equal(err.code, 'NO_FACE');
    assert.equal(err.message, local.message);
    assert.equal(calls, 1, 'the photo decides NO_FACE: no second try');
  });

  test('a real face comes back as a result that passes the result schema', async () => {
    analyzer = engine;
    const result = await remote.analyze(fixture('faces', 'biden.jpg'));
    assert.ok(AnalysisResult.safeParse(result).success);
    assert.ok(result.face);
  });

  test('a message is carried as it is, even one that looks like "CODE: message"', async () => {
    const message = 'INTERNAL: not the code\nsecond line: ENGINE_CLOSED';
    analyzer = { analyze: async () => Promise.reject(new SkinsightError('CORRUPT_IMAGE', message)) };
    const err = await remoteError(remote, Buffer.from('bytes'));
    assert.equal(err.code, 'CORRUPT_IMAGE');
    assert.equal(err.message, message);
  });

  test('a crashed engine thread is tried again once, then its code arrives', async () => {
    calls = 0;
    analyzer = { analyze: async () => Promise.reject(new SkinsightError('ENGINE_CRASHED', `the engine thread stopped (try ${calls})`)) };
    const err = await remoteError(remote, Buffer.from('bytes'));
    assert.equal(err.code, 'ENGINE_CRASHED');
    assert.equal(err.message, 'the engine thread stopped (try 2)');
    assert.equal(calls, 2);
  });
});
