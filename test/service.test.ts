/**
 * The scan service over real HTTP (an ephemeral port on loopback), with the real engine pool,
 * real photos from ../shared/fixtures and a real SQLite database in a temporary data folder.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import sharp from 'sharp';
import { stripImageMetadata, type Analyzer } from '../src/engine/api.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { AnalysisResult } from '../src/engine/result/schema.ts';
import { loadConfig } from '../src/service/index.ts';
import { call, GatedAnalyzer, startTestApp, type Reply, type TestApp } from '../testkit/app.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/fixtures');
const photo = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const FACE = 'faces/obama.jpg';
const SECRET = 'test-secret-0123456789abcdef';
const API_KEY = 'test-api-key';
/** 48 random bytes in base64 (openssl rand -base64 48): what production asks for. */
const STRONG_SECRET = crypto.randomBytes(48).toString('base64');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let pool: Analyzer;

type Server = TestApp<GatedAnalyzer>;

function startApp(env: Record<string, string> = {}): Promise<Server> {
  return startTestApp(
    pool,
    {
      SKINSIGHT_JWT_SECRET: SECRET,
      SKINSIGHT_API_KEYS: API_KEY,
      SKINSIGHT_WORKERS: '2',
      // These tests hold analyses with a gate; a cache hit would skip it (the cache has its own tests).
      SKINSIGHT_CACHE: 'off',
      ...env,
    },
    { wrap: (engine) => new GatedAnalyzer(engine) },
  );
}

async function stopApp(s: Server) {
  s.analyzer.release();
  await s.close();
}

function blob(bytes: Buffer): Blob {
  return new Blob([new Uint8Array(bytes)]);
}

function form(file: Buffer | null, fields: Record<string, string> = { consent: 'true' }, filename = 'photo.jpg'): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append('file', blob(file), filename);
  return fd;
}

let userCounter = 0;
const PASSWORD = 'correct horse battery';
/** Register (202, the same answer for any address), then log in for a token. */
async function newUser(s: Server): Promise<{ token: string; id: string; email: string }> {
  const email = `user${++userCounter}-${crypto.randomUUID().slice(0, 8)}@example.org`;
  const r = await call(s, 'POST', '/api/v1/auth/register', { json: { email, password: PASSWORD } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const login = await call(s, 'POST', '/api/v1/auth/login', { json: { email, password: PASSWORD } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { token: login.body.access_token, id: login.body.user.id, email };
}

async function newScan(s: Server, token: string): Promise<string> {
  const r = await call(s, 'POST', '/api/v1/scan/init', { token });
  assert.equal(r.status, 201);
  return r.body.scan_id;
}

/** Upload and wait for the outcome in the same request (no polling, no timing). */
async function scanPhoto(s: Server, token: string, name: string, fields?: Record<string, string>, bytes?: Buffer): Promise<{ id: string; reply: Reply }> {
  const id = await newScan(s, token);
  const reply = await call(s, 'POST', `/api/v1/scan/${id}/upload?wait=true`, { token, form: form(bytes ?? photo(name), fields) });
  return { id, reply };
}

/** One row straight from the service's SQLite file, read with a connection of our own. */
function row(s: Server, sql: string, ...args: unknown[]): unknown {
  const conn = new SQLite(path.join(s.dataDir, 'skinsight.db'), { readonly: true });
  try {
    return conn.prepare(sql).get(...args);
  } finally {
    conn.close();
  }
}

function imageFile(s: Server, scanId: string) {
  return path.join(s.dataDir, 'images', 'scans', scanId);
}

function hs256(payload: object, secret: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
  return `${head}.${crypto.createHmac('sha256', secret).update(head).digest('base64url')}`;
}

function claimsOf(token: string): { sub: string; jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

before(async () => {
  pool = await createEnginePool({ loadVersions: 'all', workers: 2 });
});

after(async () => {
  await pool.close();
});

describe('configuration', () => {
  test('production refuses to start without a JWT secret', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /SKINSIGHT_JWT_SECRET is required/);
    assert.ok(loadConfig({ NODE_ENV: 'production', SKINSIGHT_JWT_SECRET: STRONG_SECRET }));
  });

  test('defaults and validation', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.retention.days, 30);
    assert.equal(c.uploadLimitBytes, 10 * 1024 * 1024);
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ SKINSIGHT_DB: 'postgres' }), /SKINSIGHT_DATABASE_URL/);
    assert.deepEqual(loadConfig({ SKINSIGHT_CORS_ORIGINS: 'https://a.org, https://b.org' }).corsOrigins, ['https://a.org', 'https://b.org']);
  });
});

describe('scan service', () => {
  let s: Server;
  before(async () => {
    s = await startApp();
  });
  after(async () => {
    await stopApp(s);
  });

  test('health, OpenAPI document and docs page', async () => {
    assert.deepEqual((await call(s, 'GET', '/health/live')).body, { status: 'ok' });
    const ready = await call(s, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.database, true);
    assert.equal(ready.body.engine.device, 'cpu');
    const doc = await call(s, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.match(doc.body.openapi, /^3\./);
    for (const p of ['/api/v1/auth/register', '/api/v1/scan/init', '/api/v1/scan/{scan_id}/upload', '/api/v1/scan/{scan_id}/results', '/api/v1/scan/history', '/api/v1/analyze']) {
      assert.ok(doc.body.paths[p], `missing ${p}`);
    }
    assert.ok(doc.body.components.schemas.AnalysisResult.properties.ml_analysis);
    const docs = await fetch(`${s.base}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });

  test('request ids: a response carries one, and a caller’s id is honoured', async () => {
    const a = await call(s, 'GET', '/health/live');
    assert.match(a.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const b = await call(s, 'GET', '/health/live', { headers: { 'x-request-id': 'trace-42' } });
    assert.equal(b.headers.get('x-request-id'), 'trace-42');
  });

  test('the whole flow: register, log in, scan, poll, results, history', async () => {
    const email = `flow-${crypto.randomUUID().slice(0, 8)}@Example.org`;
    const reg = await call(s, 'POST', '/api/v1/auth/register', { json: { email, password: 'correct horse battery' } });
    assert.equal(reg.status, 202);
    // A taken address gets the same answer, and its password is not changed.
    const again = await call(s, 'POST', '/api/v1/auth/register', { json: { email, password: 'another password' } });
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, reg.body);
    const bad = await call(s, 'POST', '/api/v1/auth/login', { json: { email, password: 'wrong password' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.code, 'INVALID_CREDENTIALS');
    const login = await call(s, 'POST', '/api/v1/auth/login', { json: { email: email.toUpperCase(), password: 'correct horse battery' } });
    assert.equal(login.status, 200);
    assert.equal(login.body.token_type, 'Bearer');
    assert.equal(login.body.expires_in, 3600);
    const token = login.body.access_token;
    const me = await call(s, 'GET', '/api/v1/auth/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, email.toLowerCase());
    // Passwords are stored as argon2id hashes.
    const user = row(s, 'select password_hash from users where id = ?', me.body.id) as { password_hash: string };
    assert.match(user.password_hash, /^\$argon2id\$/);

    const init = await call(s, 'POST', '/api/v1/scan/init', { token });
    assert.equal(init.status, 201);
    assert.match(init.body.scan_id, UUID_V4);
    assert.equal(init.body.status, 'pending');
    assert.ok(!Number.isNaN(Date.parse(init.body.created_at)));
    const id = init.body.scan_id;

    const up = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token, form: form(photo(FACE)) });
    assert.equal(up.status, 202);
    assert.deepEqual(up.body, { scan_id: id, status: 'processing' });

    // Poll until finished: the outcome, not the timing, is under test (bounded generously).
    let status = '';
    for (let i = 0; i < 600 && status !== 'completed' && status !== 'failed'; i++) {
      const st = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token });
      assert.equal(st.status, 200);
      assert.ok(['processing', 'completed'].includes(st.body.status), st.body.status);
      status = st.body.status;
      if (status === 'processing') await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 'completed');
    const res = await call(s, 'GET', `/api/v1/scan/${id}/results`, { token });
    assert.equal(res.status, 200);
    assert.equal(res.body.scan_id, id);
    assert.equal(res.body.status, 'completed');
    const result = AnalysisResult.parse(res.body.result);
    assert.equal(result.mode, 'face');
    assert.ok(result.face);
    assert.equal(result.image.width, 910);
    // Without store_image the upload is gone once the analysis has ended.
    assert.equal(fs.existsSync(imageFile(s, id)), false);
    const st = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token });
    assert.equal(st.body.image_stored, false);
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/image`, { token })).status, 404);

    // ?wait=true answers with the finished result in one request.
    const waited = await scanPhoto(s, token, 'faces/astronaut.png');
    assert.equal(waited.reply.status, 200);
    assert.equal(waited.reply.body.status, 'completed');
    AnalysisResult.parse(waited.reply.body.result);
    const third = await scanPhoto(s, token, FACE);
    // A scan that never got a photo is not history: it is not listed.
    await newScan(s, token);

    const page1 = await call(s, 'GET', '/api/v1/scan/history?limit=2', { token });
    assert.equal(page1.status, 200);
    assert.equal(page1.body.total, 3);
    assert.equal(page1.body.has_more, true);
    assert.deepEqual(page1.body.scans.map((x: any) => x.scan_id), [third.id, waited.id]);
    assert.equal(typeof page1.body.scans[1].summary.confidence, 'number');
    const page2 = await call(s, 'GET', '/api/v1/scan/history?limit=2&offset=2', { token });
    assert.deepEqual(page2.body.scans.map((x: any) => x.scan_id), [id]);
    assert.equal(page2.body.has_more, false);
    assert.equal((await call(s, 'GET', '/api/v1/scan/history?limit=1000', { token })).status, 400);
  });

  test('auth errors: no token, bad token, expired token, deleted account', async () => {
    const u = await newUser(s);
    const id = await newScan(s, u.token);
    const none = await call(s, 'GET', `/api/v1/scan/${id}/status`);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHORIZED');
    const bad = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: 'not.a.token' });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.code, 'INVALID_TOKEN');
    const forged = hs256({ sub: u.id, email: u.email, exp: Math.floor(Date.now() / 1000) + 60 }, 'some other secret!!');
    assert.equal((await call(s, 'GET', '/api/v1/auth/me', { token: forged })).body.error.code, 'INVALID_TOKEN');
    const now = Math.floor(Date.now() / 1000);
    const expired = hs256({ sub: u.id, email: u.email, jti: claimsOf(u.token).jti, iat: now - 7200, exp: now - 3600 }, SECRET);
    const exp = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: expired });
    assert.equal(exp.status, 401);
    assert.equal(exp.body.error.code, 'TOKEN_EXPIRED');
    // The same claims, still valid, are accepted: the 401 above is about expiry alone.
    const jti = claimsOf(u.token).jti;
    const fresh = hs256({ sub: u.id, email: u.email, jti, iat: now, exp: now + 60 }, SECRET);
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: fresh })).status, 200);
    // A well-signed token without an expiry, or without a session id, is refused.
    const noExp = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: hs256({ sub: u.id, email: u.email, jti, iat: now }, SECRET) });
    assert.equal(noExp.status, 401);
    assert.equal(noExp.body.error.code, 'INVALID_TOKEN');
    const noJti = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: hs256({ sub: u.id, email: u.email, iat: now, exp: now + 60 }, SECRET) });
    assert.equal(noJti.status, 401);
  });

  test("another user's scan answers 404, exactly like a missing one", async () => {
    const alice = await newUser(s);
    const bob = await newUser(s);
    const { id } = await scanPhoto(s, alice.token, FACE);
    const missing = crypto.randomUUID();
    for (const [method, suffix] of [['GET', '/status'], ['GET', '/results'], ['GET', '/image'], ['DELETE', '']] as const) {
      const theirs = await call(s, method, `/api/v1/scan/${id}${suffix}`, { token: bob.token });
      const none = await call(s, method, `/api/v1/scan/${missing}${suffix}`, { token: bob.token });
      assert.equal(theirs.status, 404, `${method} ${suffix}`);
      assert.deepEqual(theirs.body, none.body);
    }
    const up = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: bob.token, form: form(photo(FACE)) });
    assert.equal(up.status, 404);
    assert.equal((await call(s, 'GET', '/api/v1/scan/history', { token: bob.token })).body.total, 0);
    // Alice's scan is untouched.
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/results`, { token: alice.token })).status, 200);
    assert.equal((await call(s, 'GET', '/api/v1/scan/not-a-uuid/status', { token: bob.token })).status, 400);
  });

  test('upload validation: consent, missing file, text file, empty file, re-upload', async () => {
    const u = await newUser(s);
    let id = await newScan(s, u.token);
    const noConsent = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(photo(FACE), {}) });
    assert.equal(noConsent.status, 400);
    assert.equal(noConsent.body.error.code, 'CONSENT_REQUIRED');
    const noFile = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(null) });
    assert.equal(noFile.status, 400);
    assert.equal(noFile.body.error.code, 'MISSING_FILE');
    const text = await call(s, 'POST', `/api/v1/scan/${id}/upload`, {
      token: u.token,
      form: form(Buffer.from('hello, I am not a photo at all\n'.repeat(20)), undefined, 'photo.jpg'),
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'UNSUPPORTED_FORMAT');
    const empty = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(Buffer.alloc(0)) });
    assert.equal(empty.status, 422);
    assert.equal(empty.body.error.code, 'EMPTY_IMAGE');
    const notMultipart = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, json: { file: 'x' } });
    assert.equal(notMultipart.status, 415);
    // None of the refused uploads touched the scan.
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token })).body.status, 'pending');
    const ok = await call(s, 'POST', `/api/v1/scan/${id}/upload?wait=true`, { token: u.token, form: form(photo(FACE)) });
    assert.equal(ok.status, 200);
    const again = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(photo(FACE)) });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'SCAN_ALREADY_UPLOADED');
    // Consent may also be given as a query parameter.
    id = await newScan(s, u.token);
    const q = await call(s, 'POST', `/api/v1/scan/${id}/upload?consent=true&wait=true`, { token: u.token, form: form(photo(FACE), {}) });
    assert.equal(q.status, 200);
  });

  test('WebP is accepted: the format is sniffed from the bytes, whatever the file name', async () => {
    const sharp = (await import('sharp')).default;
    const webp = await sharp(photo('faces/astronaut.png')).webp({ quality: 90 }).toBuffer();
    const u = await newUser(s);
    const id = await newScan(s, u.token);
    const r = await call(s, 'POST', `/api/v1/scan/${id}/upload?wait=true`, { token: u.token, form: form(webp, undefined, 'selfie.txt') });
    assert.equal(r.status, 200);
    assert.equal(r.body.result.image.format, 'webp');
    assert.deepEqual(row(s, 'select image_format from scans where id = ?', id), { image_format: 'webp' });
  });

  test('an 11 MB file is refused with 413 while streaming, and the scan stays pending', async () => {
    const u = await newUser(s);
    const id = await newScan(s, u.token);
    // A real JPEG header followed by padding: the size, not the format, is what is refused.
    const big = Buffer.concat([photo(FACE), Buffer.alloc(11 * 1024 * 1024)]);
    const r = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(big) });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'IMAGE_TOO_LARGE');
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token })).body.status, 'pending');
    assert.equal(fs.existsSync(imageFile(s, id)), false);
  });

  test('truncated.jpg: the scan fails with CORRUPT_IMAGE, results say why', async () => {
    const u = await newUser(s);
    const { id, reply } = await scanPhoto(s, u.token, 'non-faces/truncated.jpg');
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, 'CORRUPT_IMAGE');
    assert.equal(reply.body.status, 'failed');
    const res = await call(s, 'GET', `/api/v1/scan/${id}/results`, { token: u.token });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'CORRUPT_IMAGE');
    assert.equal(fs.existsSync(imageFile(s, id)), false);
  });

  test('the cat photo: a failed scan with NO_FACE and its reason', async () => {
    const u = await newUser(s);
    const { id, reply } = await scanPhoto(s, u.token, 'non-faces/chelsea.png');
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, 'NO_FACE');
    const st = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token });
    assert.equal(st.body.status, 'failed');
    assert.equal(st.body.error.code, 'NO_FACE');
    assert.ok(st.body.error.message.length > 0);
    const res = await call(s, 'GET', `/api/v1/scan/${id}/results`, { token: u.token });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body, { error: st.body.error, scan_id: id, status: 'failed' });
    assert.deepEqual(row(s, 'select status, error_code, image_key from scans where id = ?', id), { status: 'failed', error_code: 'NO_FACE', image_key: null });
  });

  test('results before completion: 409 with the status (pending, then processing)', async () => {
    const u = await newUser(s);
    const id = await newScan(s, u.token);
    const pending = await call(s, 'GET', `/api/v1/scan/${id}/results`, { token: u.token });
    assert.equal(pending.status, 409);
    assert.equal(pending.body.status, 'pending');
    assert.equal(pending.body.error.code, 'SCAN_NOT_COMPLETED');
    s.analyzer.hold();
    try {
      const up = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(photo(FACE)) });
      assert.equal(up.status, 202);
      const processing = await call(s, 'GET', `/api/v1/scan/${id}/results`, { token: u.token });
      assert.equal(processing.status, 409);
      assert.equal(processing.body.status, 'processing');
      // The upload is kept on disk while the scan is processing.
      assert.equal(fs.existsSync(imageFile(s, id)), true);
    } finally {
      s.analyzer.release();
    }
  });

  test('DELETE scan removes the row, the result and the stored image', async () => {
    const u = await newUser(s);
    const { id, reply } = await scanPhoto(s, u.token, FACE, { consent: 'true', store_image: 'true' });
    assert.equal(reply.status, 200);
    assert.equal(fs.existsSync(imageFile(s, id)), true);
    const img = await fetch(`${s.base}/api/v1/scan/${id}/image`, { headers: { authorization: `Bearer ${u.token}` } });
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
    // The upload as kept: without its metadata (test/image-metadata.test.ts), pixels unchanged.
    assert.deepEqual(Buffer.from(await img.arrayBuffer()), Buffer.from(await stripImageMetadata(photo(FACE))));
    const del = await call(s, 'DELETE', `/api/v1/scan/${id}`, { token: u.token });
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { scan_id: id, deleted: true });
    assert.deepEqual(row(s, 'select count(*) as n from scans where id = ?', id), { n: 0 });
    assert.equal(fs.existsSync(imageFile(s, id)), false);
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token })).status, 404);
  });

  test('a stored photo keeps no camera or GPS metadata, and is analysed as uploaded', async () => {
    const u = await newUser(s);
    const tagged = await sharp(photo(FACE)).withMetadata({ orientation: 1 })
      .withExifMerge({ IFD0: { Make: 'SecretCam-SN-0042' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' } }).jpeg().toBuffer();
    assert.ok(tagged.includes('SecretCam-SN-0042'));
    const { id, reply } = await scanPhoto(s, u.token, FACE, { consent: 'true', store_image: 'true' }, tagged);
    assert.equal(reply.status, 200);
    const img = Buffer.from(await (await fetch(`${s.base}/api/v1/scan/${id}/image`, { headers: { authorization: `Bearer ${u.token}` } })).arrayBuffer());
    assert.ok(!img.includes('SecretCam-SN-0042'), 'the camera is not kept');
    assert.equal((await sharp(img).metadata()).exif, undefined, 'no EXIF block is kept');
    assert.ok(!fs.readFileSync(imageFile(s, id)).includes('SecretCam-SN-0042'), 'nor on disk');
    const plain = await scanPhoto(s, u.token, FACE, { consent: 'true' }, Buffer.from(await stripImageMetadata(tagged)));
    assert.deepEqual(reply.body.result.scores, plain.reply.body.result.scores, 'the same analysis as the stripped photo');
  });

  test('DELETE /auth/me removes the account, every scan and every file', async () => {
    const u = await newUser(s);
    const kept = await scanPhoto(s, u.token, FACE, { consent: 'true', store_image: 'true' });
    const plain = await scanPhoto(s, u.token, 'faces/sergey.png');
    const pending = await newScan(s, u.token);
    const other = await newUser(s);
    const othersScan = await scanPhoto(s, other.token, FACE, { consent: 'true', store_image: 'true' });
    assert.equal(fs.existsSync(imageFile(s, kept.id)), true);

    const del = await call(s, 'DELETE', '/api/v1/auth/me', { token: u.token, json: { password: PASSWORD } });
    assert.equal(del.status, 200);
    assert.equal(del.body.scans_deleted, 3);
    assert.deepEqual(row(s, 'select count(*) as n from users where id = ?', u.id), { n: 0 });
    assert.deepEqual(row(s, 'select count(*) as n from scans where user_id = ?', u.id), { n: 0 });
    for (const id of [kept.id, plain.id, pending]) assert.equal(fs.existsSync(imageFile(s, id)), false);
    // The token of a deleted account no longer works; another user's data is untouched.
    assert.equal((await call(s, 'GET', '/api/v1/auth/me', { token: u.token })).status, 401);
    assert.equal(fs.existsSync(imageFile(s, othersScan.id)), true);
    assert.equal((await call(s, 'GET', `/api/v1/scan/${othersScan.id}/results`, { token: other.token })).status, 200);
  });

  test('a refused upload leaves no pending row in the history, and the retention job deletes it after a day', async () => {
    const u = await newUser(s);
    const id = await newScan(s, u.token);
    const refused = await call(s, 'POST', `/api/v1/scan/${id}/upload`, { token: u.token, form: form(Buffer.from('plain text, not a photo')) });
    assert.equal(refused.status, 415);
    assert.equal(refused.body.error.code, 'UNSUPPORTED_FORMAT');
    const history = await call(s, 'GET', '/api/v1/scan/history', { token: u.token });
    assert.equal(history.body.total, 0);
    assert.deepEqual(history.body.scans, []);
    // Still pending (a retry may come) until a day has passed.
    await s.app.skinsight.purge();
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token })).body.status, 'pending');
    s.clock.now = new Date(Date.now() + 86_400_000 + 60_000);
    try {
      await s.app.skinsight.purge();
    } finally {
      s.clock.now = undefined;
    }
    assert.deepEqual(row(s, 'select count(*) as n from scans where id = ?', id), { n: 0 });
  });

  test('a scan that fails keeps no photo, even with store_image=true; the retention job removes one another path left (review item 3)', async () => {
    const u = await newUser(s);
    const { id, reply } = await scanPhoto(s, u.token, 'non-faces/coffee.png', { consent: 'true', store_image: 'true' });
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, 'NO_FACE');
    assert.equal(fs.existsSync(imageFile(s, id)), false, 'the photo of the failed scan is gone');
    const st = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token });
    assert.equal(st.body.image_stored, false);
    assert.equal(st.body.image_expires_at, null);
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/image`, { token: u.token })).status, 404);

    // A scan failed elsewhere (recovery, the BullMQ sweeper, a worker's last try) with a stored photo.
    const { scans, images } = s.app.skinsight;
    const other = await newScan(s, u.token);
    const now = new Date().toISOString();
    await images.put(`scans/${other}`, photo(FACE));
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString();
    assert.ok(await scans.markProcessing(other, { imageKey: `scans/${other}`, format: 'jpeg', size: 1, storeImage: true, closeup: false, imageExpiresAt: expires, now }));
    assert.ok(await scans.fail(other, 'ANALYSIS_ABORTED', 'given up', now));
    assert.equal(fs.existsSync(imageFile(s, other)), true);
    await s.app.skinsight.purge();
    assert.equal(fs.existsSync(imageFile(s, other)), false, 'the retention job deleted it');
  });

  test('retention: stored images are purged after the configured days, not before', async () => {
    const u = await newUser(s);
    const { id } = await scanPhoto(s, u.token, FACE, { consent: 'true', store_image: 'true' });
    const st = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token: u.token });
    assert.equal(st.body.image_stored, true);
    const expires = Date.parse(st.body.image_expires_at);
    const uploaded = Date.parse(st.body.uploaded_at);
    assert.equal(Math.round((expires - uploaded) / 86_400_000), 30);

    s.clock.now = new Date(uploaded + 29 * 86_400_000);
    try {
      await s.app.skinsight.purge();
      assert.equal(fs.existsSync(imageFile(s, id)), true);
      s.clock.now = new Date(uploaded + 30 * 86_400_000 + 1000);
      assert.ok((await s.app.skinsight.purge()) >= 1);
    } finally {
      s.clock.now = undefined;
    }
    assert.equal(fs.existsSync(imageFile(s, id)), false);
    // 30 days on, the session has expired and was purged too: log in again.
    const token = (await call(s, 'POST', '/api/v1/auth/login', { json: { email: u.email, password: PASSWORD } })).body.access_token;
    const after = await call(s, 'GET', `/api/v1/scan/${id}/status`, { token });
    assert.equal(after.body.image_stored, false);
    assert.equal(after.body.status, 'completed');
    // The result itself is kept (SKINSIGHT_RESULT_RETENTION_DAYS is 0); only the photo expires.
    assert.equal((await call(s, 'GET', `/api/v1/scan/${id}/results`, { token })).status, 200);
  });

  test('POST /api/v1/analyze: API key, several files, one result or error each', async () => {
    const noKey = await call(s, 'POST', '/api/v1/analyze', { form: form(photo(FACE)) });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.body.error.code, 'INVALID_API_KEY');
    const wrong = await call(s, 'POST', '/api/v1/analyze', { form: form(photo(FACE)), headers: { 'x-api-key': 'nope' } });
    assert.equal(wrong.status, 401);
    const fd = new FormData();
    fd.append('files', blob(photo(FACE)), 'obama.jpg');
    fd.append('files', blob(photo('non-faces/chelsea.png')), 'chelsea.png');
    fd.append('files', blob(Buffer.from('plain text')), 'notes.txt');
    fd.append('files', blob(photo('non-faces/truncated.jpg')), 'truncated.jpg');
    const r = await call(s, 'POST', '/api/v1/analyze', { form: fd, headers: { 'x-api-key': API_KEY } });
    assert.equal(r.status, 200);
    assert.equal(r.body.results.length, 4);
    AnalysisResult.parse(r.body.results[0].result);
    assert.equal(r.body.results[0].filename, 'obama.jpg');
    assert.deepEqual(r.body.results.slice(1).map((x: any) => [x.index, x.error.code]), [
      [1, 'NO_FACE'],
      [2, 'UNSUPPORTED_FORMAT'],
      [3, 'CORRUPT_IMAGE'],
    ]);
  });
});

describe('limits', () => {
  let s: Server;
  before(async () => {
    s = await startApp({
      SKINSIGHT_QUEUE_SIZE: '1',
      SKINSIGHT_RATE_LIMIT_USER: '8',
      SKINSIGHT_RATE_LIMIT_AUTH: '5',
      SKINSIGHT_CORS_ORIGINS: 'https://app.example.org',
    });
  });
  after(async () => {
    await stopApp(s);
  });

  test('a full queue answers 503 with Retry-After, and frees up when the scan is done', async () => {
    const u = await newUser(s);
    const first = await newScan(s, u.token);
    const second = await newScan(s, u.token);
    s.analyzer.hold();
    try {
      assert.equal((await call(s, 'POST', `/api/v1/scan/${first}/upload`, { token: u.token, form: form(photo(FACE)) })).status, 202);
      const full = await call(s, 'POST', `/api/v1/scan/${second}/upload`, { token: u.token, form: form(photo(FACE)) });
      assert.equal(full.status, 503);
      assert.equal(full.body.error.code, 'QUEUE_FULL');
      assert.ok(Number(full.headers.get('retry-after')) >= 1);
      assert.equal((await call(s, 'GET', `/api/v1/scan/${second}/status`, { token: u.token })).body.status, 'pending');
    } finally {
      s.analyzer.release();
    }
    // Wait for the queue to drain (a state, not a delay), then the refused upload goes through.
    for (let i = 0; i < 600 && (await call(s, 'GET', '/health/ready')).body.queue.depth > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await call(s, 'GET', `/api/v1/scan/${first}/status`, { token: u.token })).body.status, 'completed');
    const retry = await call(s, 'POST', `/api/v1/scan/${second}/upload?wait=true`, { token: u.token, form: form(photo(FACE)) });
    assert.equal(retry.status, 200);
  });

  test('CORS: only the configured origins are allowed', async () => {
    const preflight = (origin: string) =>
      fetch(`${s.base}/api/v1/scan/init`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight('https://app.example.org');
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.org');
    const denied = await preflight('https://evil.example.com');
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
  });

  test('too many requests: 429 per user and per IP on login', async () => {
    const u = await newUser(s);
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push((await call(s, 'GET', '/api/v1/auth/me', { token: u.token })).status);
    assert.deepEqual(codes.slice(0, 8), Array(8).fill(200));
    assert.deepEqual(codes.slice(8), [429, 429]);
    const limited = await call(s, 'GET', '/api/v1/auth/me', { token: u.token });
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Another user is not affected by the first one's limit.
    const v = await newUser(s);
    assert.equal((await call(s, 'GET', '/api/v1/auth/me', { token: v.token })).status, 200);
    // Login attempts per IP: 5 per window (newUser's logins count too), then 429 even with the
    // right password; this is the per-IP limit, before the per-account throttle's 10 failures.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(s, 'POST', '/api/v1/auth/login', { json: { email: u.email, password: 'wrong password!' } })).status);
    const first429 = statuses.indexOf(429);
    assert.ok(first429 > 0 && statuses.slice(0, first429).every((c) => c === 401), statuses.join(','));
    const blocked = await call(s, 'POST', '/api/v1/auth/login', { json: { email: u.email, password: 'correct horse battery' } });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, 'RATE_LIMITED');
  });
});
