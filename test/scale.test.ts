/**
 * The scale-out pieces that run in one process: A/B split parsing and sticky assignment, the
 * micro-batcher, shadow predictions and a registry reload under load on a real engine pool,
 * the in-memory result cache in the service (hits, cost, deletion with scan and account),
 * Prometheus metrics, and the configuration checks for distributed mode.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AnalysisWithShadow, Analyzer } from '../src/engine/api.ts';
import { MicroBatcher } from '../src/engine/models/batcher.ts';
import { createEnginePool, type EnginePool } from '../src/engine/pool.ts';
import { assignVersions, parseAbSplit, parseShadow } from '../src/service/ab.ts';
import type { LRUCache } from 'lru-cache';
import { cacheKey, CountingCache, MemoryResultCache } from '../src/service/cache.ts';
import { call, scanPhoto, startTestApp, type TestApp } from '../testkit/app.ts';
import { loadConfig } from '../src/service/index.ts';
import { fixture } from '../testkit/fixtures.ts';
import { writeTinyRegistry } from './helpers/tiny-onnx.ts';

const FACE = fixture('faces', 'obama.jpg');
const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-scale-models-'));
writeTinyRegistry(modelsDir, { acneVersions: ['2.0.0', '2.1.0'] });
let pool: EnginePool;

before(async () => {
  pool = await createEnginePool({ loadVersions: 'all', workers: 1, modelsDir, batchWindowMs: 2 });
});
after(async () => {
  await pool.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe('A/B split', () => {
  test('parses, rejects bad parts, and assigns versions stickily in proportion', () => {
    const split = parseAbSplit('acne_binary=2.0.0:90,2.1.0:10; skin_condition=1.0.0:1,1.1.0:1');
    assert.deepEqual(split.acne_binary, [{ version: '2.0.0', weight: 90 }, { version: '2.1.0', weight: 10 }]);
    assert.throws(() => parseAbSplit('wrinkles=1.0.0:1'), /unknown model task/);
    assert.throws(() => parseAbSplit('acne_binary=latest:1'), /not a model version/);
    assert.throws(() => parseAbSplit('acne_binary=2.0.0:0'), /add up to 0/);
    assert.deepEqual(parseShadow('acne_binary=2.1.0'), { acne_binary: '2.1.0' });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const v = assignVersions(split, `user-${i}`);
      assert.deepEqual(assignVersions(split, `user-${i}`), v, 'sticky');
      counts[v.acne_binary!] = (counts[v.acne_binary!] ?? 0) + 1;
    }
    assert.ok(counts['2.1.0']! > 300 && counts['2.1.0']! < 500, JSON.stringify(counts));
  });

  test('the service refuses bad scale-out settings at start', () => {
    const base = { SKINSIGHT_JWT_SECRET: '0123456789abcdef0123' };
    assert.throws(() => loadConfig({ ...base, SKINSIGHT_QUEUE: 'bullmq' }), /SKINSIGHT_REDIS_URL is required/);
    assert.throws(() => loadConfig({ ...base, SKINSIGHT_QUEUE: 'bullmq', SKINSIGHT_REDIS_URL: 'redis://127.0.0.1:6379' }), /needs SKINSIGHT_DB=postgres/);
    assert.throws(() => loadConfig({ ...base, SKINSIGHT_IMAGE_STORE: 'postgres' }), /needs SKINSIGHT_DB=postgres/);
    assert.throws(() => loadConfig({ ...base, SKINSIGHT_AB_SPLIT: 'acne_binary=x' }), /SKINSIGHT_AB_SPLIT/);
    assert.throws(() => loadConfig({ ...base, SKINSIGHT_BATCH_WINDOW_MS: '10' }), /SKINSIGHT_BATCH_WINDOW_MS/);
    assert.equal(loadConfig(base).cache.kind, 'memory');
  });
});

describe('micro-batching', () => {
  test('calls inside the window run as one batch; each caller gets its own slice; errors reach every caller', async () => {
    const runs: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => {
      runs.push(xs);
      return xs.map((x) => x * 10);
    }, 3);
    const out = await Promise.all([b.submit([1]), b.submit([2, 3]), b.submit([4])]);
    assert.deepEqual(out, [[10], [20, 30], [40]]);
    assert.deepEqual(runs, [[1, 2, 3, 4]]);
    const failing = new MicroBatcher<number, number>(async () => {
      throw new Error('boom');
    }, 1);
    const settled = await Promise.allSettled([failing.submit([1]), failing.submit([2])]);
    assert.ok(settled.every((s) => s.status === 'rejected'));
    assert.throws(() => new MicroBatcher(async (x) => x, 6), /between 0 and 5/);
  });
});

describe('engine: shadow versions and reload', () => {
  test('shadow predictions come beside the result; the public result is unchanged', async () => {
    const r = (await pool.analyze(FACE, { modelVersions: { acne_binary: '2.0.0' }, shadowVersions: { acne_binary: '2.1.0' } })) as AnalysisWithShadow;
    assert.equal(r.ml_analysis.acne_analysis.available && r.ml_analysis.acne_analysis.model.version, '2.0.0');
    assert.equal(r.shadow?.length, 1);
    assert.equal(r.shadow![0]!.version, '2.1.0');
    assert.ok(['acne', 'no_acne'].includes(r.shadow![0]!.label!));
    const plain = (await pool.analyze(FACE)) as AnalysisWithShadow;
    assert.equal(plain.shadow, undefined);
  });

  test('reload replaces the workers under load with no failed analysis, and picks up a new default', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, 'manifest.json'), 'utf8'));
    for (const m of manifest.models) if (m.task === 'acne_binary') m.default = m.version === '2.1.0';
    fs.writeFileSync(path.join(modelsDir, 'manifest.json'), JSON.stringify(manifest));
    const load = Array.from({ length: 6 }, () => pool.analyze(FACE));
    const info = await pool.reload();
    const results = await Promise.allSettled(load);
    assert.deepEqual(results.map((r) => r.status), Array(6).fill('fulfilled'));
    assert.equal(info.models.find((m) => m.task === 'acne_binary')!.version, '2.1.0');
    const r = await pool.analyze(FACE);
    assert.equal(r.ml_analysis.acne_analysis.available && r.ml_analysis.acne_analysis.model.version, '2.1.0');
  });
});

describe('result cache in the service (in-memory LRU)', () => {
  let s: TestApp<Analyzer>;
  const cache = new MemoryResultCache({ entries: 100, ttlS: 3600 });

  before(async () => {
    s = await startTestApp(pool, { SKINSIGHT_WORKERS: '1' }, { wrap: (engine) => engine, deps: { cache: new CountingCache(cache, () => {}) } });
  });
  after(async () => {
    await s.close();
  });

  const json = (method: string, url: string, token?: string, body?: unknown) => call(s, method, url, { token, json: body });
  const metrics = async () => String((await call(s, 'GET', '/metrics')).body);
  async function scan(token: string) {
    const { id, reply } = await scanPhoto(s, token, FACE);
    assert.equal(reply.status, 200);
    return id;
  }

  test('the same photo hits; entries go with their scan and with the account', async () => {
    const account = { email: 'cache@example.org', password: 'correct horse battery' };
    assert.equal((await json('POST', '/api/v1/auth/register', undefined, account)).status, 202);
    const u = (await json('POST', '/api/v1/auth/login', undefined, account)).body.access_token;
    const first = await scan(u);
    const metricsBefore = await metrics();
    const hitsBefore = Number(/skinsight_cache_requests_total\{result="hit"\} (\d+)/.exec(metricsBefore)?.[1] ?? 0);
    const second = await scan(u);
    const metricsAfter = await metrics();
    assert.equal(Number(/skinsight_cache_requests_total\{result="hit"\} (\d+)/.exec(metricsAfter)?.[1]), hitsBefore + 1);
    const r1 = (await json('GET', `/api/v1/scan/${first}/results`, u)).body.result;
    const r2 = (await json('GET', `/api/v1/scan/${second}/results`, u)).body.result;
    assert.deepEqual(r2, r1);

    // A hit as the processor makes it: hash the bytes, build the key, read the entry. Its cost is
    // printed, not asserted (timings belong to bench/cache.bench.ts, not to a test on shared cores).
    const versions = { acne_binary: '2.1.0', skin_condition: '1.0.0' };
    // closeup: true keeps this key apart from the entry the scans above made.
    const key = cacheKey(FACE, { owner: 'someone', versions, shadow: {}, closeup: true });
    await cache.set(key, 'x\n{}');
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) assert.ok(await cache.get(cacheKey(FACE, { owner: 'someone', versions, shadow: {}, closeup: true })));
    const perHit = (performance.now() - t0) / n;
    console.log(`# in-memory cache hit (sha256 of a ${FACE.length}-byte photo + key + get): ${perHit.toFixed(3)} ms`);
    await cache.delete([key]);

    // Metrics carry the stage latencies and the version counters.
    assert.match(metricsAfter, /skinsight_inference_stage_duration_seconds_bucket\{le="[^"]+",stage="models"\}/);
    assert.match(metricsAfter, /skinsight_model_predictions_total\{task="acne_binary",model="acne_tiny",version="2\.\d\.0",role="live"\}/);
    assert.match(metricsAfter, /skinsight_cache_hit_ratio/);

    const keys = [...(cache as unknown as { lru: Map<string, string> }).lru.keys()];
    assert.equal(keys.length, 1);
    assert.equal((await json('DELETE', `/api/v1/scan/${first}`, u)).status, 200);
    assert.equal(await cache.get(keys[0]!), null, 'deleted with the scan');
    const third = await scan(u);
    assert.ok(third);
    assert.equal([...(cache as unknown as { lru: Map<string, string> }).lru.keys()].length, 1);
    assert.equal((await json('DELETE', '/api/v1/auth/me', u, { password: account.password })).status, 200);
    assert.equal([...(cache as unknown as { lru: Map<string, string> }).lru.keys()].length, 0, 'deleted with the account');
  });

  test('an entry holding the face mesh lives no longer than the mesh does in the database (review item 7)', async () => {
    for (const [storeLandmarks, most] of [['false', 3600_000], ['true', 86_400_000]] as const) {
      const day = new MemoryResultCache({ entries: 10, ttlS: 86_400 });
      const app = await startTestApp(pool, { SKINSIGHT_WORKERS: '1', SKINSIGHT_STORE_LANDMARKS: storeLandmarks }, { wrap: (engine) => engine, deps: { cache: new CountingCache(day, () => {}) } });
      try {
        const account = { email: `ttl-${storeLandmarks}@example.org`, password: 'correct horse battery' };
        await call(app, 'POST', '/api/v1/auth/register', { json: account });
        const token = (await call(app, 'POST', '/api/v1/auth/login', { json: account })).body.access_token;
        assert.equal((await scanPhoto(app, token, FACE)).reply.status, 200);
        const lru = (day as unknown as { lru: LRUCache<string, string> }).lru;
        const [key] = [...lru.keys()];
        assert.ok(key && lru.get(key)!.includes('"landmarks":[['), 'the entry holds the mesh');
        const left = lru.getRemainingTTL(key);
        assert.ok(left <= most && left > most - 60_000, `SKINSIGHT_STORE_LANDMARKS=${storeLandmarks}: ${left} ms left`);
      } finally {
        await app.close();
      }
    }
  });

  test('GET /metrics: errors by code and per-route latency', async () => {
    await call(s, 'GET', '/api/v1/scan/history');
    const text = await metrics();
    assert.match(text, /skinsight_errors_total\{code="UNAUTHORIZED",source="http"\} \d+/);
    assert.match(text, /skinsight_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/scan\/history",status_code="401"\} \d+/);
    assert.match(text, /skinsight_queue_depth 0/);
  });
});
