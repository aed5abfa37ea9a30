/**
 * The production image and docker-compose.yml, really built and run (`npm run test:container`):
 * local base images and the skinsight image built with podman, the compose layout (2 APIs,
 * 2 workers, PostgreSQL, Redis) started with podman-compose on its own private network, production
 * settings with generated secrets, a user and scans through the API containers, a worker container
 * killed mid-scan, then everything torn down. Fails, never skips, when podman cannot run here.
 * Not part of `npm test` (it needs root and minutes); .ci/run runs it after.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { buildImages, createStack, leftovers, preflight, removeStale, run, type Stack } from '../../scripts/container/stack.ts';
import { fixture } from '../../testkit/fixtures.ts';
import { call as request, registerAndLogin, until, type CallOptions } from '../../testkit/http.ts';

const stack: Stack = createStack();
const apis: string[] = [];
const started = performance.now();
const report: Record<string, number | string> = {};

function note(msg: string) {
  process.stderr.write(`[container ${((performance.now() - started) / 1000).toFixed(1)} s] ${msg}\n`);
}

/** Requests to the API containers; a busy 2-core machine gets 90 s per request. */
function call(base: string, method: string, url: string, opts: CallOptions = {}) {
  return request(base, method, url, { timeoutMs: 90_000, ...opts });
}

/** A new account's token: register answers 202 without one (no e-mail enumeration), then log in. */
async function register(base: string) {
  const account = { email: `c${Date.now()}-${Math.random().toString(36).slice(2)}@example.org`, password: 'correct horse battery staple' };
  return (await registerAndLogin(base, account.email, account.password, { timeoutMs: 90_000 })).token;
}

async function upload(base: string, token: string, photo: Buffer, wait: boolean) {
  const init = await call(base, 'POST', '/api/v1/scan/init', { token });
  assert.equal(init.status, 201, JSON.stringify(init.body));
  const fd = new FormData();
  fd.append('consent', 'true');
  fd.append('file', new Blob([new Uint8Array(photo)]), 'photo.jpg');
  const up = await call(base, 'POST', `/api/v1/scan/${init.body.scan_id}/upload${wait ? '?wait=true' : ''}`, { token, form: fd });
  return { id: init.body.scan_id as string, up };
}

/** Scan ids a worker logged as completed (its pino JSON lines). */
function completedBy(logs: string): string[] {
  return logs.split('\n').flatMap((line) => {
    try {
      const l = JSON.parse(line);
      return l.msg === 'scan completed' ? [String(l.scanId)] : [];
    } catch {
      return [];
    }
  });
}

/** Health check of a container as its image or the compose file defines it. */
async function healthy(name: string): Promise<boolean> {
  return (await run('podman', ['healthcheck', 'run', name], { allowFail: true, timeoutMs: 30_000 })).code === 0;
}

async function dumpLogs() {
  for (const [svc, n] of [['api', 1], ['api', 2], ['worker', 1], ['worker', 2], ['postgres', 1], ['redis', 1]] as const) {
    process.stderr.write(`--- ${stack.container(svc, n)} ---\n${await stack.logs(stack.container(svc, n))}\n`);
  }
}

before(async () => {
  await preflight();
  await removeStale();
});

after(async () => {
  await stack.down().catch((err) => note(`teardown: ${String(err)}`));
  report.total_s = Math.round((performance.now() - started) / 1000);
  note(`measured ${JSON.stringify(report)}`);
});

// Deadlines guard against hangs; the budget (≤ 10 min) is reported by the last line, measured.
describe('the production image and the compose layout under podman', { timeout: 900_000 }, () => {
  test('the local bases and the skinsight image build offline; the image stays under 600 MB', { timeout: 660_000 }, async () => {
    const built = await buildImages();
    Object.assign(report, { bases_s: Math.round(built.baseSeconds), build_s: Math.round(built.buildSeconds), image_mb: Math.round(built.imageBytes / 1e6) });
    note(`images built: ${JSON.stringify(report)}`);
    assert.ok(built.imageBytes <= 600e6, `image is ${Math.round(built.imageBytes / 1e6)} MB`);
  });

  test('up: PostgreSQL and Redis healthy first, then 2 APIs and 2 workers; every API ready', { timeout: 240_000 }, async () => {
    const t0 = performance.now();
    // podman-compose 1.0 ignores depends_on conditions, so the health gate is applied here, as
    // Docker Compose applies it from the file.
    await stack.compose(['up', '-d', '--no-build', 'postgres', 'redis']);
    for (const db of ['postgres', 'redis']) await until(`${db} healthy`, () => healthy(stack.container(db, 1)), 60_000, 500);
    report.deps_healthy_s = Number(((performance.now() - t0) / 1000).toFixed(1));
    await stack.compose(['up', '-d', '--no-build']);
    for (const n of [1, 2]) apis.push(await stack.apiUrl(n));
    try {
      for (const url of apis) await until(`${url}/health/ready`, async () => (await call(url, 'GET', '/health/ready')).status === 200, 120_000, 250);
    } catch (err) {
      await dumpLogs();
      throw err;
    }
    report.up_to_ready_s = Number(((performance.now() - t0) / 1000).toFixed(1));
    note(`ready: ${apis.join(' ')}`);
  });

  test('the image and compose health checks pass in the API and worker containers', async () => {
    for (const name of [stack.container('api', 1), stack.container('api', 2), stack.container('worker', 1), stack.container('worker', 2)]) {
      assert.ok(await until(`${name} healthy`, () => healthy(name), 60_000, 1000), name);
    }
    const whoami = (await run('podman', ['exec', stack.container('api', 1), 'id', '-un'])).stdout.trim();
    assert.equal(whoami, 'node', 'the service runs as a non-root user');
  });

  test('a user registers on one API, a scan completes through the other, and reads back on the first', async () => {
    const [a, b] = apis as [string, string];
    const token = await register(a);
    const { id, up } = await upload(b, token, fixture('faces', 'obama.jpg'), true);
    assert.equal(up.status, 200, JSON.stringify(up.body).slice(0, 400));
    assert.equal(up.body.status, 'completed');
    const res = await call(a, 'GET', `/api/v1/scan/${id}/results`, { token });
    assert.equal(res.status, 200);
    assert.ok(res.body.result.ml_analysis.acne_analysis, 'the result carries the acne analysis');
    assert.ok(res.body.result.cv_analysis.skin_tone, 'and the skin tone');
  });

  test('/metrics and /health/ready answer on both APIs; the workers count their analyses', async () => {
    for (const url of apis) {
      assert.equal((await call(url, 'GET', '/health/ready')).status, 200);
      const m = await call(url, 'GET', '/metrics');
      assert.equal(m.status, 200);
      assert.match(String(m.body), /skinsight_http_request_duration_seconds/);
    }
    let stages = 0;
    for (const n of [1, 2]) {
      const text = (await run('podman', ['exec', stack.container('worker', n), 'node', '-e', "fetch('http://127.0.0.1:9464/metrics').then(r=>r.text()).then(t=>console.log(t))"])).stdout;
      stages += text.split('\n').filter((l) => l.startsWith('skinsight_inference_stage_duration_seconds_count')).length;
    }
    assert.ok(stages > 0, 'a worker reports inference stage timings');
  });

  test('a worker container killed mid-scan: every scan of a burst still completes, the interrupted one on the other worker', { timeout: 240_000 }, async () => {
    const [a, b] = apis as [string, string];
    // Two accounts: one account may have at most SKINSIGHT_SCANS_IN_FLIGHT_PER_USER (8) scans in flight.
    const tokens = [await register(b), await register(a)];
    // Sixteen distinct real photos (one portrait at 16 widths: no result-cache hits), all uploaded
    // at once: both workers get a backlog, so the one killed has jobs in hand.
    const portrait = fixture('faces', 'obama.jpg');
    const photos = await Promise.all(Array.from({ length: 16 }, (_, i) => sharp(portrait).resize({ width: 480 + 16 * i }).jpeg({ quality: 90 }).toBuffer()));
    const tokenOf = (i: number) => tokens[Math.floor(i / 8)]!;
    const uploads = await Promise.all(photos.map((p, i) => upload(i % 2 ? a : b, tokenOf(i), p, false)));
    for (const s of uploads) assert.equal(s.up.status, 202, JSON.stringify(s.up.body));
    const scans = uploads.map((s) => s.id);
    const ids = scans.map((s) => `'${s}'`).join(',');
    // The victim: the first worker to finish one of them, while at least 4 still wait or run.
    const found: { name: string } | { drained: string } = await until('a worker busy with the burst', async () => {
      const [[left]] = (await stack.sql(`select count(*) from scans where id in (${ids}) and status <> 'completed'`)) as [[string]];
      if (Number(left) < 4) return { drained: left };
      for (const n of [1, 2]) {
        const name = stack.container('worker', n);
        if (completedBy(await stack.logs(name, 400)).some((id) => scans.includes(id))) return { name };
      }
      return null;
    }, 120_000, 100);
    if (!('name' in found)) assert.fail(`the backlog drained (${found.drained} left) before a worker could be caught mid-scan`);
    const victim = found.name;
    await run('podman', ['kill', '--signal', 'KILL', victim]);
    note(`killed ${victim}`);
    await until('every scan of the burst completed', async () => {
      const rows = await stack.sql(`select status, error_code from scans where id in (${ids})`);
      const failed = rows.find(([status]) => status === 'failed');
      assert.equal(failed, undefined, `a scan failed: ${failed?.[1]}`);
      return rows.length === scans.length && rows.every(([status]) => status === 'completed');
    }, 180_000, 500);
    const [[maxAttempts]] = (await stack.sql(`select max(attempts) from scans where id in (${ids})`)) as [[string]];
    assert.ok(Number(maxAttempts) >= 2, `a scan the killed worker had started ran again (max attempts ${maxAttempts})`);
    for (const [i, id] of scans.entries()) assert.equal((await call(a, 'GET', `/api/v1/scan/${id}/results`, { token: tokenOf(i) })).status, 200);
  });

  test('down: the containers, volumes and network of the project are gone', { timeout: 240_000 }, async () => {
    await stack.down();
    assert.deepEqual(await leftovers(stack.project), []);
  });
});
