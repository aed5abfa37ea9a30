/**
 * Distributed mode against the real PostgreSQL and Redis of this machine: 2 API and 2 worker
 * processes (scripts/cluster.ts), a fresh database and Redis key prefix for this run, removed
 * after. The flow through both APIs, A/B versions and shadow predictions, the shared cache and its
 * deletion, a worker killed mid-job, an API killed and restarted, Redis shut down and restarted.
 * Every wait polls a condition with a deadline; nothing sleeps blindly.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { REDIS_URL, startCluster, type Cluster } from '../scripts/cluster.ts';
import { runCli } from '../testkit/cli.ts';
import { fixture } from '../testkit/fixtures.ts';
import { analysesDone, call, registerAndLogin, until, withoutGeometry } from '../testkit/http.ts';
import { writeTinyRegistry } from './helpers/tiny-onnx.ts';

const ADMIN = 'admin@example.org';
const API_KEY = 'cluster-api-key';
const FACE = fixture('faces', 'obama.jpg');
const FACE2 = fixture('faces', 'biden.jpg');

/** A webhook receiver on loopback: every request it got, and the status to answer with. */
const hooks: { id: string; ts: string; sig: string; body: string }[] = [];
let hookStatus = 200;
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    hooks.push({ id: String(req.headers['webhook-id']), ts: String(req.headers['webhook-timestamp']), sig: String(req.headers['webhook-signature']), body });
    res.writeHead(hookStatus).end();
  });
});
const HOOK_KEY = crypto.randomBytes(32);
const hooksFor = (scanId: string) => hooks.filter((h) => JSON.parse(h.body).data.scan_id === scanId);

let cluster: Cluster;
let db: pg.Pool;
let redis: Redis;
const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-cluster-models-'));

function form(bytes: Buffer): FormData {
  const fd = new FormData();
  fd.append('consent', 'true');
  fd.append('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
  return fd;
}

let n = 0;
const PASSWORD = 'correct horse battery';
const user = (base: string, email = `u${++n}-${Date.now()}@example.org`) => registerAndLogin(base, email, PASSWORD);

/** The operator's `skinsight users grant-admin`, against the cluster's PostgreSQL. */
async function grantAdmin(email: string) {
  const run = await runCli(['users', 'grant-admin', email], { NODE_ENV: 'test', SKINSIGHT_DB: 'postgres', SKINSIGHT_DATABASE_URL: cluster.databaseUrl });
  assert.equal(run.status, 0, run.stderr);
}

async function upload(base: string, token: string, bytes: Buffer, wait = false) {
  const init = await call(base, 'POST', '/api/v1/scan/init', { token });
  assert.equal(init.status, 201);
  const up = await call(base, 'POST', `/api/v1/scan/${init.body.scan_id}/upload${wait ? '?wait=true' : ''}`, { token, form: form(bytes) });
  return { id: init.body.scan_id as string, up };
}

async function row(id: string) {
  return (await db.query('select status, attempts, result_json, shadow_json, cache_key, image_key, error_code from scans where id = $1', [id])).rows[0];
}

const completed = (id: string, timeoutMs = 60_000) =>
  until(`scan ${id} completed`, async () => {
    const r = await row(id);
    assert.notEqual(r?.status, 'failed', `scan failed: ${r?.error_code}`);
    return r?.status === 'completed' ? r : null;
  }, timeoutMs);

before(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  writeTinyRegistry(modelsDir, { acneVersions: ['2.0.0', '2.1.0'] });
  cluster = await startCluster({
    apis: 2,
    workers: 2,
    modelsDir,
    env: {
      SKINSIGHT_API_KEYS: API_KEY,
      SKINSIGHT_AB_SPLIT: 'acne_binary=2.0.0:50,2.1.0:50',
      SKINSIGHT_SHADOW: 'acne_binary=2.1.0',
      // Short enough that a crashed worker's job moves on within seconds in this test.
      SKINSIGHT_JOB_LOCK_MS: '3000',
      SKINSIGHT_SWEEP_INTERVAL_S: '2',
      SKINSIGHT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
      SKINSIGHT_WEBHOOK_SECRET: `whsec_${HOOK_KEY.toString('base64')}`,
      SKINSIGHT_WEBHOOK_RETRY_BASE_MS: '200',
    },
  });
  db = new pg.Pool({ connectionString: cluster.databaseUrl, max: 2 });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
});

after(async () => {
  await db?.end();
  redis?.disconnect();
  await cluster?.stop();
  receiver.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

describe('distributed mode: 2 APIs, 2 workers, PostgreSQL, Redis', () => {
  test('the whole flow across both APIs; A/B versions sticky per user; shadow stored, never shown', async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    const u = await user(a);
    // Upload on one API, read on the other: nothing lives in an API process.
    const { id, up } = await upload(b, u.token, FACE, true);
    assert.equal(up.status, 200, JSON.stringify(up.body).slice(0, 300));
    assert.equal(up.body.status, 'completed');
    assert.equal(up.body.result.shadow, undefined, 'shadow predictions never reach the client');
    const res = await call(a, 'GET', `/api/v1/scan/${id}/results`, { token: u.token });
    assert.equal(res.status, 200);
    const acneVersion = res.body.result.ml_analysis.acne_analysis.model.version;
    assert.ok(['2.0.0', '2.1.0'].includes(acneVersion));
    const stored = await row(id);
    assert.equal(stored.image_key, null, 'the unstored upload is gone from the shared store');
    assert.equal((await db.query('select count(*)::int as n from images')).rows[0].n, 0);
    // The worker's job returns nothing: no row and no result text in Redis's events stream
    // (every API process's QueueEvents would receive and parse it).
    const events = (await redis.xrange(`${cluster.prefix}:scans:events`, '-', '+')).map(([, f]) => Object.fromEntries(f.flatMap((v, i, all) => (i % 2 ? [] : [[v, all[i + 1]]]))));
    const done = events.find((e) => e.event === 'completed' && e.jobId === id);
    assert.ok(done, 'the completed event of the scan');
    assert.ok((done.returnvalue ?? '').length < 100, `a small returnvalue, got ${String(done.returnvalue).length} characters`);
    assert.deepEqual(JSON.parse(stored.result_json).models.find((m: any) => m.task === 'acne_binary').version, acneVersion);
    if (acneVersion === '2.0.0') {
      const shadow = JSON.parse(stored.shadow_json);
      assert.equal(shadow[0].version, '2.1.0');
      assert.ok(['acne', 'no_acne'].includes(shadow[0].label));
    } else {
      assert.equal(stored.shadow_json, null, 'no shadow of the version the user already runs');
    }
    // Sticky: the same user gets the same arm again (a different photo, so no cache hit).
    const again = await upload(a, u.token, FACE2, true);
    assert.equal(again.up.body.result.ml_analysis.acne_analysis.model.version, acneVersion);

    // Both arms get traffic across users.
    const arms = new Set<string>();
    for (let i = 0; i < 12 && arms.size < 2; i++) {
      const v = await user(a);
      const s = await upload(i % 2 ? a : b, v.token, FACE, true);
      assert.equal(s.up.status, 200);
      arms.add(s.up.body.result.ml_analysis.acne_analysis.model.version);
    }
    assert.equal(arms.size, 2, 'the 50/50 split sends users to both versions');

    // The dashboard compares versions, shadow agreement included.
    const admin = await user(a, ADMIN);
    await grantAdmin(ADMIN);
    const an = await call(b, 'GET', '/api/v1/admin/analytics', { token: admin.token });
    assert.equal(an.status, 200);
    const names = an.body.versions.map((v: any) => v.version).join(' | ');
    assert.match(names, /acne_tiny@2\.0\.0/);
    assert.match(names, /acne_tiny@2\.1\.0/);
    if (an.body.agreement.length > 0) {
      const ag = an.body.agreement[0];
      assert.equal(ag.live, 'acne_tiny@2.0.0');
      assert.equal(ag.shadow, 'acne_tiny@2.1.0');
      assert.ok(ag.n >= 1 && ag.rate >= 0 && ag.rate <= 1);
    }

    // Server-to-server analysis through the workers.
    const fd = new FormData();
    fd.append('file', new Blob([new Uint8Array(FACE)]), 'a.jpg');
    fd.append('file', new Blob([new Uint8Array(Buffer.from('not an image'))]), 'b.txt');
    const sync = await call(a, 'POST', '/api/v1/analyze', { form: fd, headers: { 'x-api-key': API_KEY } });
    assert.equal(sync.status, 200);
    assert.equal(sync.body.results[0].result.mode, 'face');
    assert.equal(sync.body.results[1].error.code, 'UNSUPPORTED_FORMAT');

    // Metrics on each API: per-route latency, queue depth, errors by code.
    const m = await call(a, 'GET', '/metrics');
    assert.match(m.body, /skinsight_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/scan\/:scan_id\/results"/);
    assert.match(m.body, /skinsight_queue_depth \d+/);
  });

  test('the shared cache: the same photo, version and options hits; deleting the scan and the user deletes the entry', async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    const u = await user(a);
    const first = await upload(a, u.token, FACE2, true);
    assert.equal(first.up.status, 200);
    const second = await upload(b, u.token, FACE2, true);
    assert.equal(second.up.status, 200);
    const [r1, r2] = [await row(first.id), await row(second.id)];
    assert.equal(r1.cache_key, r2.cache_key);
    assert.ok(r1.cache_key);
    assert.equal(r2.result_json, r1.result_json, 'a hit stores the very same result');
    const key = `${cluster.prefix}:cache:${r1.cache_key}`;
    assert.equal(await redis.exists(key), 1);
    assert.equal((await call(b, 'DELETE', `/api/v1/scan/${first.id}`, { token: u.token })).status, 200);
    assert.equal(await redis.exists(key), 0, 'the entry goes with the scan');

    const third = await upload(a, u.token, FACE2, true);
    const key3 = `${cluster.prefix}:cache:${(await row(third.id)).cache_key}`;
    assert.equal(await redis.exists(key3), 1);
    assert.equal((await call(a, 'DELETE', '/api/v1/auth/me', { token: u.token, json: { password: PASSWORD } })).status, 200);
    assert.equal(await redis.exists(key3), 0, 'and with the account');
  });

  test('admin reload: every worker replaces its engines without downtime', async () => {
    const [a] = cluster.apis.map((p) => p.url!);
    const admin = (await call(a, 'POST', '/api/v1/auth/login', { json: { email: ADMIN, password: PASSWORD } })).body.access_token;
    const r = await call(a, 'POST', '/api/v1/admin/models/reload', { token: admin });
    assert.equal(r.status, 202);
    assert.equal(r.body.workers, cluster.workers.length);
    for (const w of cluster.workers) await w.waitFor((l) => l.msg === 'model registry reloaded', 60_000);
    const u = await user(a);
    const s = await upload(a, u.token, FACE, true);
    assert.equal(s.up.status, 200);
  });

  test('a worker killed mid-job: its jobs are retried on the other worker and complete; no scan lost', async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    // Swap one worker for one that holds every finished analysis (then it is provably mid-job when killed).
    const normal = cluster.workers[1]!;
    await cluster.kill(normal);
    cluster.workers.splice(1, 1);
    const holding = await cluster.addWorker({ SKINSIGHT_DEBUG_HOLD_MS: '600000', SKINSIGHT_METRICS_PORT: '0' });
    const u = await user(a);
    const photos = [FACE, FACE2, fixture('faces', 'obama2.jpg'), fixture('faces', 'obama3.jpg'), fixture('faces', 'biden2.jpg'), fixture('faces', 'sergey.png')];
    const scans = [];
    for (const [i, p] of photos.entries()) scans.push(await upload(i % 2 ? a : b, u.token, p));
    for (const s of scans) assert.equal(s.up.status, 202);
    // Its engine ran (its stage metrics count it) and the hold keeps the result unsaved.
    await until('the holding worker analysed a photo', async () => (await analysesDone(holding.ready.metricsUrl!)) >= 1, 60_000);
    await cluster.kill(holding);
    cluster.workers.splice(cluster.workers.indexOf(holding), 1);
    for (const s of scans) await completed(s.id, 60_000);
    const attempts = await Promise.all(scans.map(async (s) => (await row(s.id)).attempts as number));
    assert.ok(attempts.some((n) => n >= 2), `the held scan ran again elsewhere (attempts ${attempts.join(', ')})`);
    // Back to two normal workers for the next tests.
    await cluster.addWorker();
  });

  test('the per-account login throttle and logout hold across API processes (PostgreSQL)', async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    const email = `throttle-${Date.now()}@example.org`;
    const u = await user(a, email);
    const login = (base: string, password: string) => call(base, 'POST', '/api/v1/auth/login', { json: { email, password } });
    for (let i = 0; i < 10; i++) assert.equal((await login(i % 2 ? a : b, `wrong ${i}`)).status, 401);
    for (const base of [a, b]) {
      const r = await login(base, PASSWORD);
      assert.equal(r.status, 429, 'both APIs see the same 10 failures');
      assert.equal(r.body.error.code, 'LOGIN_THROTTLED');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    }
    // A session ended on one API is refused by the other.
    assert.equal((await call(b, 'GET', '/api/v1/auth/me', { token: u.token })).status, 200);
    assert.equal((await call(a, 'POST', '/api/v1/auth/logout', { token: u.token })).status, 200);
    assert.equal((await call(b, 'GET', '/api/v1/auth/me', { token: u.token })).status, 401);
  });

  test('Idempotency-Key holds across API processes: the retry on the other API replays, no second analysis', async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    const u = await user(a);
    const initKey = { 'idempotency-key': crypto.randomUUID() };
    const init = await call(a, 'POST', '/api/v1/scan/init', { token: u.token, headers: initKey });
    const initAgain = await call(b, 'POST', '/api/v1/scan/init', { token: u.token, headers: initKey });
    assert.equal(initAgain.headers.get('idempotent-replayed'), 'true');
    assert.equal(initAgain.body.scan_id, init.body.scan_id);
    const id = init.body.scan_id as string;
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const first = await call(a, 'POST', `/api/v1/scan/${id}/upload?wait=true`, { token: u.token, headers, form: form(FACE2) });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const again = await call(b, 'POST', `/api/v1/scan/${id}/upload?wait=true`, { token: u.token, headers, form: form(FACE2) });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, { ...first.body, result: withoutGeometry(first.body.result) }, 'the replay is the first answer without the face mesh');
    assert.equal((await row(id)).attempts, 1, 'one analysis');
    const reused = await call(b, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, headers, form: form(FACE) });
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    // The same key sent to both APIs at once: one scan, never two.
    const raceKey = { 'idempotency-key': crypto.randomUUID() };
    const race = await Promise.all([a, b, a, b].map((base) => call(base, 'POST', '/api/v1/scan/init', { token: u.token, headers: raceKey })));
    const made = new Set(race.filter((r) => r.status === 201).map((r) => r.body.scan_id));
    assert.equal(made.size, 1);
    for (const r of race.filter((x) => x.status !== 201)) assert.equal(r.body.error.code, 'IDEMPOTENCY_KEY_IN_PROGRESS');
  });

  test('webhooks: each event once, signed, though both APIs dispatch; a receiver down while both APIs restart still gets it', async () => {
    const [a] = cluster.apis.map((p) => p.url!);
    const u = await user(a);
    const s = await upload(a, u.token, FACE, true);
    assert.equal(s.up.status, 200);
    await until('the event', async () => hooksFor(s.id).length > 0);
    const [h] = hooksFor(s.id);
    const mac = crypto.createHmac('sha256', HOOK_KEY).update(`${h!.id}.${h!.ts}.${h!.body}`).digest('base64');
    assert.equal(h!.sig, `v1,${mac}`);
    assert.equal(JSON.parse(h!.body).type, 'scan.completed');
    // The receiver refuses; both APIs go down and come back; the event still arrives, once accepted.
    hookStatus = 500;
    const t = await upload(a, u.token, FACE2, true);
    await until('a refused try', async () => hooksFor(t.id).length > 0);
    for (const api of cluster.apis) await cluster.kill(api);
    hookStatus = 200;
    for (const api of [...cluster.apis]) await cluster.restart(api);
    await until('delivered after the restarts', async () => {
      const r = await db.query('select state from webhook_deliveries where scan_id = $1', [t.id]);
      return r.rows[0]?.state === 'delivered';
    }, 90_000); // a send cut off by the kill holds its row for up to a minute
    assert.equal(new Set(hooksFor(t.id).map((x) => x.id)).size, 1, 'one event id across all its tries');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hooksFor(s.id).length, 1, 'the first event was delivered exactly once by two dispatchers');
  });

  test('an API killed mid-scan and restarted: the scan completes and reads back', async () => {
    const api = cluster.apis[0]!;
    const u = await user(api.url!);
    const s = await upload(api.url!, u.token, fixture('faces', 'obama-480p.jpg'));
    assert.equal(s.up.status, 202);
    await cluster.kill(api);
    const fresh = await cluster.restart(api);
    await completed(s.id);
    const res = await call(fresh.url!, 'GET', `/api/v1/scan/${s.id}/results`, { token: u.token });
    assert.equal(res.status, 200);
  });

  test('Redis shut down and restarted: uploads during the outage complete; the service recovers by itself', async () => {
    const [a, b] = cluster.apis.map((p) => p.url!);
    const u = await user(a);
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'shutdown', 'nosave']);
    try {
      await until('Redis down', async () => {
        try {
          execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { stdio: 'pipe' });
          return false;
        } catch {
          return true;
        }
      }, 10_000);
      // The database still takes uploads; their jobs are queued once Redis is back (sweeper).
      const during = await upload(b, u.token, fixture('faces', 'obama-720p.jpg'));
      assert.equal(during.up.status, 202, JSON.stringify(during.up.body));
      const live = await call(a, 'GET', '/health/live');
      assert.equal(live.status, 200);
      startRedis();
      await until('Redis up', async () => (await redis.ping()) === 'PONG', 15_000);
      await completed(during.id, 60_000);
      // And new work flows through both APIs again.
      const afterwards = await until('a scan through the recovered cluster', async () => {
        const s = await upload(a, u.token, fixture('faces', 'obama-240p.jpg'), true);
        return s.up.status === 200 ? s : null;
      }, 60_000, 500);
      assert.equal(afterwards.up.body.status, 'completed');
      const ready = await until('API ready again', async () => ((await call(b, 'GET', '/health/ready')).status === 200 ? true : null), 30_000, 500);
      assert.ok(ready);
    } finally {
      startRedis();
    }
  });
});

/** The same command as .ci/run; a no-op if Redis is already up. */
function startRedis() {
  try {
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], { stdio: 'pipe' });
    return;
  } catch {
    // down: start it below
  }
  fs.mkdirSync('/var/lib/redis', { recursive: true });
  fs.mkdirSync('/var/log/redis', { recursive: true });
  execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log']);
}
