/**
 * Issue #9, items 8–18 (identity, sessions, data lifecycle), over real HTTP against the real
 * service and engine, with real photos, a real SQLite file and the real CLI.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import type { Analyzer } from '../src/engine/api.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { loadConfig } from '../src/service/index.ts';
import { runCli } from '../testkit/cli.ts';
import { fixture } from '../testkit/fixtures.ts';
import { PASSWORD, call, login, median, newAccount, scanPhoto, startTestApp, type TestApp } from '../testkit/app.ts';

const FACE = fixture('faces', 'obama.jpg');
const STRONG_SECRET = crypto.randomBytes(48).toString('base64');
const prod = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', SKINSIGHT_JWT_SECRET: STRONG_SECRET, ...env });

let pool: Analyzer;
before(async () => {
  pool = await createEnginePool({ loadVersions: 'all', workers: 1 });
});
after(async () => {
  await pool.close();
});

describe('production configuration and exposure (items 17, 18)', () => {
  test('production refuses weak secrets, short API keys, long tokens and switched-off rate limits', () => {
    assert.ok(prod({}));
    assert.ok(prod({ SKINSIGHT_JWT_SECRET: crypto.randomBytes(32).toString('hex') }), 'openssl rand -hex 32 is enough');
    for (const weak of ['test-secret-0123456789abcdef', 'abcd'.repeat(16), 'x'.repeat(80), '0123456789'.repeat(8)]) {
      assert.throws(() => prod({ SKINSIGHT_JWT_SECRET: weak }), /SKINSIGHT_JWT_SECRET holds about \d+ bits/, weak);
    }
    assert.throws(() => prod({ SKINSIGHT_API_KEYS: `${'k'.repeat(30)},short-key-123` }), /SKINSIGHT_API_KEYS: 1 key\(s\) under 24/);
    assert.ok(prod({ SKINSIGHT_API_KEYS: crypto.randomBytes(24).toString('base64url') }));
    assert.throws(() => prod({ SKINSIGHT_JWT_EXPIRES_IN: String(24 * 3600 + 1) }), /over 24 hours/);
    assert.ok(prod({ SKINSIGHT_JWT_EXPIRES_IN: String(24 * 3600) }));
    for (const name of ['SKINSIGHT_RATE_LIMIT_IP', 'SKINSIGHT_RATE_LIMIT_USER', 'SKINSIGHT_RATE_LIMIT_AUTH']) {
      assert.throws(() => prod({ [name]: '0' }), new RegExp(`${name}=0 switches a rate limit off`));
      assert.equal(loadConfig({ [name]: '0' }).env, 'development', 'development may switch it off');
    }
  });

  test('binds 127.0.0.1 unless HOST says otherwise; SKINSIGHT_ADMIN_EMAILS is refused', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.throws(() => loadConfig({ SKINSIGHT_ADMIN_EMAILS: 'boss@example.org' }), /skinsight users grant-admin/);
  });
});

describe('identity and sessions (items 8–12, 15–18)', () => {
  let s: TestApp;
  const METRICS_TOKEN = 'metrics-token-0123456789';
  before(async () => {
    s = await startTestApp(pool, { SKINSIGHT_TRUST_PROXY: 'true', SKINSIGHT_CACHE: 'memory', SKINSIGHT_METRICS_TOKEN: METRICS_TOKEN });
  });
  after(async () => {
    await s.close();
  });

  test('registering never makes an admin; `skinsight users grant-admin` / `revoke-admin` do', async () => {
    const u = await newAccount(s);
    const role = async () => (await call(s, 'GET', '/api/v1/admin/role', { token: u.token })).body.role;
    assert.equal(await role(), 'user');
    const cli = (...args: string[]) => runCli(['users', ...args], { NODE_ENV: 'test', SKINSIGHT_DATA_DIR: s.dataDir, SKINSIGHT_JWT_SECRET: '' });
    const grant = await cli('grant-admin', u.email.toUpperCase());
    assert.equal(grant.status, 0, grant.stderr);
    assert.equal(grant.stdout.trim(), `${u.email}: role admin`);
    assert.equal(await role(), 'admin');
    assert.equal((await call(s, 'GET', '/api/v1/admin/analytics', { token: u.token })).status, 200);
    const revoke = await cli('revoke-admin', u.email);
    assert.equal(revoke.status, 0, revoke.stderr);
    assert.equal(await role(), 'user', 'a revoke takes effect on the next request');
    assert.equal((await call(s, 'GET', '/api/v1/admin/analytics', { token: u.token })).status, 403);
    const missing = await cli('grant-admin', 'nobody@example.org');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no account with the e-mail nobody@example.org/);
    assert.equal((await cli('promote', u.email)).status, 2);
  });

  test('per-account throttle: 10 failures from 10 IPs, then 429 with a growing Retry-After; never a permanent lock', async () => {
    const u = await newAccount(s);
    const other = await newAccount(s);
    let ip = 0;
    const from = () => ({ 'x-forwarded-for': `10.9.${Math.floor(++ip / 250)}.${ip % 250}` });
    const t0 = Date.now();
    s.clock.now = new Date(t0);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await login(s, u.email, `wrong guess ${i}`, from())).status);
      assert.deepEqual(statuses, Array(10).fill(401));
      // The right password from yet another address: refused while the account is throttled.
      const blocked = await login(s, u.email, PASSWORD, from());
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.error.code, 'LOGIN_THROTTLED');
      const first = Number(blocked.headers.get('retry-after'));
      assert.equal(first, 60);
      // Other accounts are not affected.
      assert.equal((await login(s, other.email, PASSWORD, from())).status, 200);
      // After the block, one more failure blocks for twice as long, and so on.
      const waits = [first];
      let at = t0;
      for (let k = 0; k < 4; k++) {
        at += waits.at(-1)! * 1000 + 1000;
        s.clock.now = new Date(at);
        assert.equal((await login(s, u.email, 'still wrong', from())).status, 401);
        waits.push(Number((await login(s, u.email, PASSWORD, from())).headers.get('retry-after')));
      }
      assert.deepEqual(waits, [60, 120, 240, 480, 900]);
      console.log(`# login throttle: 10 × 401 from 10 IPs, then 429 LOGIN_THROTTLED; Retry-After after each further failure: ${waits.join(', ')} s`);
      // The block ends: the owner's right password works, and the count starts again.
      s.clock.now = new Date(at + 900_000 + 1000);
      const back = await login(s, u.email, PASSWORD, from());
      assert.equal(back.status, 200);
      assert.equal((await login(s, u.email, 'wrong again', from())).status, 401);
      // An unknown address is throttled the same way (its answers tell nothing).
      const ghost = `ghost-${crypto.randomUUID()}@example.org`;
      for (let i = 0; i < 10; i++) assert.equal((await login(s, ghost, `guess ${i}`, from())).status, 401);
      assert.equal((await login(s, ghost, 'guess', from())).status, 429);
    } finally {
      s.clock.now = undefined;
    }
  });

  test('per-account throttle holds against a burst: 40 parallel guesses get at most 10 passwords checked', async () => {
    const u = await newAccount(s);
    let ip = 0;
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(s, u.email, `parallel guess ${i}`, { 'x-forwarded-for': `10.8.0.${++ip}` })),
    );
    const statuses = burst.map((r) => r.status);
    const checked = statuses.filter((st) => st === 401).length;
    assert.ok(checked <= 10, `${checked} of 40 parallel guesses were checked (${statuses.join(',')})`);
    assert.equal(statuses.filter((st) => st === 429).length, 40 - checked);
  });

  test('password policy (NIST SP 800-63B): 8+ characters, not a common password, not the e-mail; no composition rules', async () => {
    const email = `policy-${crypto.randomUUID().slice(0, 8)}@example.org`;
    const register = (password: string) => call(s, 'POST', '/api/v1/auth/register', { json: { email, password } });
    for (const weak of ['password', '12345678', 'Password1', 'qwertyuiop', ' '.repeat(8), 'aaaaaaaaaaaa', 'short', email, email.split('@')[0]!]) {
      const r = await register(weak);
      assert.equal(r.status, 400, weak);
      assert.equal(r.body.error.code, 'WEAK_PASSWORD', weak);
    }
    // Lower-case words with spaces, no digits or symbols: fine.
    assert.equal((await register('violet tulip harbour')).status, 202);
    assert.equal((await login(s, email, 'violet tulip harbour')).status, 200);
  });

  test('sessions: logout ends that token, a password change ends the others, deleting the account needs the password', async () => {
    const u = await newAccount(s);
    const second = (await login(s, u.email)).body.access_token as string;
    const third = (await login(s, u.email)).body.access_token as string;
    const me = (token: string) => call(s, 'GET', '/api/v1/auth/me', { token });
    assert.equal((await call(s, 'POST', '/api/v1/auth/logout', { token: u.token })).status, 200);
    const gone = await me(u.token);
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.code, 'SESSION_ENDED');
    assert.equal((await me(second)).status, 200, 'other sessions live on');

    const change = (token: string, current: string, next: string) =>
      call(s, 'POST', '/api/v1/auth/password', { token, json: { current_password: current, new_password: next } });
    const wrong = await change(second, 'not my password', 'a brand new passphrase');
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'WRONG_PASSWORD');
    assert.equal((await change(second, PASSWORD, 'password')).body.error.code, 'WEAK_PASSWORD');
    const ok = await change(second, PASSWORD, 'a brand new passphrase');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { changed: true, sessions_ended: 1 });
    assert.equal((await me(third)).status, 401, 'the other session ended');
    assert.equal((await me(second)).status, 200, 'the session that changed it stays');
    assert.equal((await login(s, u.email)).status, 401, 'the old password is gone');
    assert.equal((await login(s, u.email, 'a brand new passphrase')).status, 200);

    assert.equal((await call(s, 'DELETE', '/api/v1/auth/me', { token: second })).status, 400, 'no password given');
    assert.equal((await call(s, 'DELETE', '/api/v1/auth/me', { token: second, json: { password: PASSWORD } })).status, 403);
    assert.equal((await call(s, 'DELETE', '/api/v1/auth/me', { token: second, json: { password: 'a brand new passphrase' } })).status, 200);
    assert.equal((await me(second)).status, 401);
  });

  test('the access token carries no e-mail: its payload is only base64 (review item 8)', async () => {
    const u = await newAccount(s);
    const payload = JSON.parse(Buffer.from(u.token.split('.')[1]!, 'base64url').toString('utf8'));
    assert.deepEqual(Object.keys(payload).sort(), ['exp', 'iat', 'jti', 'sub']);
    assert.ok(!u.token.includes(Buffer.from(u.email).toString('base64url').slice(0, 12)));
    assert.equal((await call(s, 'GET', '/api/v1/auth/me', { token: u.token })).body.email, u.email, '/me still names the account');
  });

  test('enumeration: register and login answer the same for taken and free e-mails', async () => {
    const taken = await newAccount(s);
    const free = () => `free-${crypto.randomUUID().slice(0, 12)}@example.org`;
    const reg = (email: string) => call(s, 'POST', '/api/v1/auth/register', { json: { email, password: 'some other passphrase' } });
    const times = { taken: [] as number[], free: [] as number[], wrongPassword: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < 5; i++) {
      const a = await reg(taken.email);
      const b = await reg(free());
      assert.equal(a.status, 202);
      assert.deepEqual(a.body, b.body);
      assert.equal(a.status, b.status);
      times.taken.push(a.ms);
      times.free.push(b.ms);
      // Alternate accounts so the per-account throttle (10 failures) is never reached.
      const c = await login(s, i % 2 ? taken.email : (await newAccount(s)).email, 'not the password');
      const d = await login(s, free(), 'not the password');
      assert.equal(c.status, 401);
      assert.deepEqual(c.body, d.body);
      times.wrongPassword.push(c.ms);
      times.unknown.push(d.ms);
    }
    // Timing is reported, not asserted (a shared CPU makes it noisy): both paths run one argon2id.
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v).toFixed(1)]));
    console.log(`# median ms: register taken ${m.taken}, free ${m.free}; login wrong password ${m.wrongPassword}, unknown e-mail ${m.unknown}`);
    assert.equal((await login(s, taken.email)).status, 200, "a register with a taken e-mail did not touch the owner's password");
  });

  test('the result cache is per user: another user analysing the same photo is a miss', async () => {
    const alice = await newAccount(s);
    const bob = await newAccount(s);
    const before = s.analyzer.analyses;
    assert.equal((await scanPhoto(s, alice.token, FACE)).reply.status, 200);
    assert.equal((await scanPhoto(s, bob.token, FACE)).reply.status, 200);
    assert.equal(s.analyzer.analyses, before + 2, "bob's scan ran the engine: no hit on alice's entry");
    assert.equal((await scanPhoto(s, alice.token, FACE)).reply.status, 200);
    assert.equal(s.analyzer.analyses, before + 2, "alice's second scan is her own hit");
  });

  test('headers: nosniff everywhere, no-store on tokens, results and account, private no-store on the photo', async () => {
    const u = await newAccount(s);
    const { id } = await scanPhoto(s, u.token, FACE, { consent: 'true', store_image: 'true' });
    const replies = {
      login: await login(s, u.email),
      me: await call(s, 'GET', '/api/v1/auth/me', { token: u.token }),
      results: await call(s, 'GET', `/api/v1/scan/${id}/results`, { token: u.token }),
      history: await call(s, 'GET', '/api/v1/scan/history', { token: u.token }),
      unauthorized: await call(s, 'GET', '/api/v1/auth/me'),
      // The router decodes the path: a percent-encoded spelling is the same route (found by review).
      encoded: await call(s, 'GET', '/%61pi/v1/auth/me', { token: u.token }),
    };
    for (const [name, r] of Object.entries(replies)) {
      assert.equal(r.headers.get('cache-control'), 'no-store', name);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', name);
    }
    const image = await fetch(`${s.base}/api/v1/scan/${id}/image`, { headers: { authorization: `Bearer ${u.token}` } });
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('cache-control'), 'private, no-store');
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    for (const url of ['/health/live', '/openapi.json', '/nowhere']) {
      assert.equal((await fetch(s.base + url)).headers.get('x-content-type-options'), 'nosniff', url);
    }
  });

  test('/metrics needs its bearer token when one is set; /docs has a CSP', async () => {
    assert.equal((await fetch(`${s.base}/metrics`)).status, 401);
    assert.equal((await fetch(`${s.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
    const ok = await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /skinsight_queue_depth/);
    // Scrapers are not rate-limited: more requests than the per-IP limit allows all answer.
    const tight = await startTestApp(pool, { SKINSIGHT_RATE_LIMIT_IP: '3', SKINSIGHT_METRICS_TOKEN: METRICS_TOKEN });
    try {
      const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
      const metrics = await Promise.all(Array.from({ length: 6 }, () => fetch(`${tight.base}/metrics`, { headers: auth }).then((r) => r.status)));
      assert.deepEqual(metrics, Array(6).fill(200));
      const api = [];
      for (let i = 0; i < 4; i++) api.push((await fetch(`${tight.base}/api/v1/auth/me`)).status);
      assert.deepEqual(api, [401, 401, 401, 429], 'the API itself is limited');
    } finally {
      await tight.close();
    }
    const docs = await fetch(`${s.base}/docs/`);
    assert.equal(docs.status, 200);
    const csp = docs.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests|https:/);
  });
});

describe('data lifecycle (items 13, 14)', () => {
  let s: TestApp;
  before(async () => {
    s = await startTestApp(pool, { SKINSIGHT_RESULT_RETENTION_DAYS: '7' });
  });
  after(async () => {
    await s.close();
  });

  function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? [p, ...filesUnder(p)] : [p];
    });
  }

  test('deleting a scan, then the account, leaves no byte of it in the data folder (0700 folders, 0600 files)', async () => {
    const u = await newAccount(s);
    const { id, reply } = await scanPhoto(s, u.token, FACE, { consent: 'true', store_image: 'true' });
    assert.equal(reply.status, 200);
    const result = reply.body.result;
    const db = new SQLite(path.join(s.dataDir, 'skinsight.db'), { readonly: true });
    const hash = (db.prepare('select password_hash from users where id = ?').get(u.id) as { password_hash: string }).password_hash;
    db.close();
    // Strings only this account's data contains: its e-mail, ids, hash and the result's own numbers.
    const secrets = [u.email, u.id, id, hash, result.generated_at, JSON.stringify(result.face.landmarks[10]), JSON.stringify(result.cv_analysis.skin_tone)];
    for (const f of filesUnder(s.dataDir)) {
      const mode = fs.statSync(f).mode & 0o777;
      assert.equal(mode, fs.statSync(f).isDirectory() ? 0o700 : 0o600, `${path.relative(s.dataDir, f)} is ${mode.toString(8)}`);
    }
    assert.equal(fs.statSync(s.dataDir).mode & 0o777, 0o700);
    const bytes = () => filesUnder(s.dataDir).filter((f) => fs.statSync(f).isFile()).map((f) => [f, fs.readFileSync(f)] as const);
    assert.ok(bytes().some(([, b]) => b.includes(u.email)), 'the scan (the e-mail) is on disk before deletion');

    assert.equal((await call(s, 'DELETE', `/api/v1/scan/${id}`, { token: u.token })).status, 200);
    assert.equal((await call(s, 'DELETE', '/api/v1/auth/me', { token: u.token, json: { password: PASSWORD } })).status, 200);
    for (const [file, content] of bytes()) {
      for (const secret of secrets) assert.equal(content.includes(secret), false, `${path.relative(s.dataDir, file)} still holds ${secret.slice(0, 40)}`);
    }
  });

  test('stored results drop landmarks and polygons; the owner sees them for an hour; results expire after SKINSIGHT_RESULT_RETENTION_DAYS', async () => {
    const u = await newAccount(s);
    const { id, reply } = await scanPhoto(s, u.token, FACE);
    assert.equal(reply.body.result.face.landmarks.length, 468, 'the immediate answer carries the mesh');
    const db = () => new SQLite(path.join(s.dataDir, 'skinsight.db'), { readonly: true });
    const stored = () => {
      const conn = db();
      try {
        return conn.prepare('select result_json from scans where id = ?').get(id) as { result_json: string } | undefined;
      } finally {
        conn.close();
      }
    };
    const kept = JSON.parse(stored()!.result_json);
    assert.deepEqual(kept.face.landmarks, []);
    for (const region of Object.values(kept.regions) as { polygon: unknown[] }[]) assert.deepEqual(region.polygon, []);
    assert.ok(kept.cv_analysis.skin_tone, 'the measures are kept');
    const results = async (token: string) => (await call(s, 'GET', `/api/v1/scan/${id}/results`, { token })).body;
    assert.equal((await results(u.token)).result.face.landmarks.length, 468);

    const t0 = Date.now();
    try {
      s.clock.now = new Date(t0 + 61 * 60_000);
      await s.app.skinsight.purge();
      // The session (an hour) was purged with the geometry: log in again.
      const token = (await login(s, u.email)).body.access_token;
      assert.deepEqual((await results(token)).result.face.landmarks, [], 'after an hour the geometry is gone');
      s.clock.now = new Date(t0 + 6 * 86_400_000);
      await s.app.skinsight.purge();
      assert.ok(stored(), 'kept for the retention days');
      s.clock.now = new Date(t0 + 7 * 86_400_000 + 60_000);
      await s.app.skinsight.purge();
      assert.equal(stored(), undefined, 'deleted after SKINSIGHT_RESULT_RETENTION_DAYS');
    } finally {
      s.clock.now = undefined;
    }
  });

  test('SKINSIGHT_STORE_LANDMARKS=true keeps the mesh in the stored result', async () => {
    const keep = await startTestApp(pool, { SKINSIGHT_STORE_LANDMARKS: 'true' });
    try {
      const u = await newAccount(keep);
      const { id } = await scanPhoto(keep, u.token, FACE);
      const conn = new SQLite(path.join(keep.dataDir, 'skinsight.db'), { readonly: true });
      const row = conn.prepare('select result_json, geometry_json from scans where id = ?').get(id) as { result_json: string; geometry_json: string | null };
      conn.close();
      assert.equal(JSON.parse(row.result_json).face.landmarks.length, 468);
      assert.equal(row.geometry_json, null);
    } finally {
      await keep.close();
    }
  });
});
