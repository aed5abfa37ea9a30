/**
 * What a hostile or broken client may cost, over real HTTP on loopback with raw sockets (a
 * fetch client would repair or hide what these send): bodies over the limit are refused at once
 * and no longer read, slow senders are cut off, an early 413 does not stall the next request on
 * the same connection, a dead engine thread ends the scan `failed`, and malformed inputs that
 * used to answer 500 answer 4xx. Client aborts are logged at info level, without a stack.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { createEnginePool, type EnginePool } from '../src/engine/pool.ts';
import { call, GatedAnalyzer, newAccount, SECRET, startTestApp, type TestApp } from '../testkit/app.ts';
import { fixture } from '../testkit/fixtures.ts';

const API_KEY = 'limits-api-key';
const LIMIT = 1024 * 1024; // SKINSIGHT_UPLOAD_LIMIT_MB=1
let pool: EnginePool;
let s: TestApp<EnginePool>;
let port: number;

before(async () => {
  pool = await createEnginePool({ loadVersions: 'all', workers: 1 });
  s = await startTestApp(
    pool,
    {
      SKINSIGHT_API_KEYS: API_KEY,
      SKINSIGHT_UPLOAD_LIMIT_MB: '1',
      SKINSIGHT_MAX_FILES_PER_REQUEST: '2',
      SKINSIGHT_HEADER_TIMEOUT_S: '1',
      SKINSIGHT_BODY_TIMEOUT_S: '2',
      SKINSIGHT_WAIT_TIMEOUT_S: '20',
      SKINSIGHT_IDLE_TIMEOUT_S: '30',
    },
    { wrap: (engine) => engine as EnginePool, logs: true },
  );
  port = Number(new URL(s.base).port);
});

after(async () => {
  await s.close();
  await pool.close();
});

/** A raw connection that collects what the server sends and when it closes. */
function connect(to = port) {
  const socket = net.connect(to, '127.0.0.1');
  let received = '';
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('data', (d) => {
    received += d;
    wake();
  });
  let closedAt: number | null = null;
  socket.on('close', () => {
    closedAt = Date.now();
    wake();
  });
  socket.on('error', () => {}); // a reset after the server closed is the expected end
  /** Waits until `pred` holds or `ms` pass; resolves with whether it held. */
  const until = async (pred: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!pred() && Date.now() < deadline) {
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return pred();
  };
  return {
    socket,
    received: () => received,
    closed: () => closedAt !== null,
    closedAt: () => closedAt,
    until,
    write: (data: string | Buffer) => new Promise<void>((r) => (socket.destroyed ? r() : socket.write(data, () => r()))),
  };
}

const status = (head: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
const responses = (text: string) => text.match(/^HTTP\/1\.1 \d{3}/gm)?.length ?? 0;

function token(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600, ...claims })}`;
  return `${body}.${crypto.createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** A new account's token: register (202, no token, so taken and free e-mails look alike), then log in. */
async function register(): Promise<string> {
  return (await newAccount(s)).token;
}

/** A new scan of the account's. */
async function initScan(t: string): Promise<string> {
  return (await call(s, 'POST', '/api/v1/scan/init', { token: t })).body.scan_id;
}

test('a declared Content-Length over the limit is refused at once, before the body is sent', async () => {
  const c = connect();
  await c.write(`POST /api/v1/analyze HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${2 * 1024 ** 3}\r\n\r\n`);
  assert.ok(await c.until(() => responses(c.received()) > 0, 3000), 'an answer without sending the body');
  assert.equal(status(c.received()), 413);
  assert.match(c.received(), /PAYLOAD_TOO_LARGE/);
  assert.match(c.received(), /connection: close/i);
  assert.ok(await c.until(c.closed, 3000), 'the server closes the connection');
});

test('a chunked body with no length stops being read at the limit: 413, then the connection closes', async () => {
  const t = await register();
  const scanId = await initScan(t);
  const c = connect();
  await c.write(`POST /api/v1/scan/${scanId}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const head = Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n\r\n');
  await c.write(`${head.length.toString(16)}\r\n${head}\r\n`);
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0xab);
  // Up to 64 MB; the server must answer and close long before.
  while (sent < 64 * LIMIT && !c.closed() && responses(c.received()) === 0) {
    await c.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    sent += chunk.length;
  }
  assert.ok(await c.until(c.closed, 3000), `closed after ${sent} bytes`);
  // The server stops reading but keeps the socket a moment, so the answer is not lost to a reset.
  assert.equal(status(c.received()), 413, c.received().slice(0, 200));
  assert.ok(sent < 8 * LIMIT, `the server stopped reading near the limit (${sent} bytes sent)`);
});

test('an early 413 reaches a client that reads it late: the server half-closes instead of resetting', async () => {
  const t = await register();
  const scanId = await initScan(t);
  const c = connect();
  // A busy client: it queues a long body, then reads only 400 ms later. Had the server destroyed
  // the socket the moment its 413 was flushed, the client's next write would fail (EPIPE) and
  // tear the socket down before the 413 was read: a dropped connection, no answer.
  c.socket.pause();
  c.socket.write(`POST /api/v1/scan/${scanId}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const head = Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n\r\n');
  c.socket.write(`${head.length.toString(16)}\r\n${head}\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 0xab);
  for (let sent = 0; sent < 32 * LIMIT; sent += chunk.length) {
    c.socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
  }
  await new Promise((r) => setTimeout(r, 400));
  c.socket.resume();
  assert.ok(await c.until(c.closed, 3000), 'the server closes the connection');
  assert.equal(status(c.received()), 413, `received: ${JSON.stringify(c.received().slice(0, 200))}`);
});

test('slow-loris headers are cut off after the header timeout (1 s here)', async () => {
  const c = connect();
  const start = Date.now();
  const request = `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(100)}\r\n\r\n`;
  for (let i = 0; i < request.length && !c.closed(); i++) {
    await c.write(request[i]);
    await new Promise((r) => setTimeout(r, 200));
    if (Date.now() - start > 8000) break;
  }
  assert.ok(c.closed(), 'closed while the headers were still trickling in');
  const cutOff = c.closedAt()! - start;
  assert.ok(cutOff < 4000, `cut off after ${cutOff} ms`);
  console.log(`# slow-loris headers cut off after ${cutOff} ms (header timeout 1000 ms)`);
});

test('a slow-loris body is cut off after the body timeout (2 s here)', async () => {
  const c = connect();
  const start = Date.now();
  await c.write(`POST /api/v1/analyze HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n`);
  while (!c.closed() && Date.now() - start < 8000) {
    await c.write('x');
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.ok(c.closed(), 'closed while the body was still trickling in');
  const cutOff = c.closedAt()! - start;
  assert.ok(cutOff < 5000, `cut off after ${cutOff} ms`);
  console.log(`# slow-loris body cut off after ${cutOff} ms (body timeout 2000 ms)`);
});

test('after an early 413 TOO_MANY_FILES, the same keep-alive client is answered at once', async () => {
  const png = fixture('non-faces', 'coffee.png').subarray(0, 2000);
  const part = (i: number) => Buffer.concat([Buffer.from(`--b\r\nContent-Disposition: form-data; name="f${i}"; filename="${i}.png"\r\n\r\n`), png, Buffer.from('\r\n')]);
  const body = Buffer.concat([part(1), part(2), part(3), part(4), Buffer.from('--b--\r\n')]);
  const c = connect();
  await c.write(Buffer.concat([Buffer.from(`POST /api/v1/analyze HTTP/1.1\r\nHost: x\r\nX-API-Key: ${API_KEY}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  assert.ok(await c.until(() => responses(c.received()) === 1, 5000));
  assert.equal(status(c.received()), 413);
  assert.match(c.received(), /TOO_MANY_FILES/);
  // Either the server closed this connection (the client then opens another), or it answers the
  // next request on it; what it must not do is leave it open and silent (it did for ~73 s).
  await c.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
  const settled = await c.until(() => c.closed() || responses(c.received()) === 2, 3000);
  assert.ok(settled, 'the next request on the connection is neither answered nor refused');
  if (!c.closed()) assert.match(c.received().split(/(?=HTTP\/1\.1 )/)[1], /^HTTP\/1\.1 200/);
  else assert.match(c.received(), /connection: close/i);
});

test('an engine thread that dies mid-scan ends the scan failed ENGINE_CRASHED; /results answers 422', async () => {
  const t = await register();
  const scanId = await initScan(t);
  const form = new FormData();
  form.append('consent', 'true');
  form.append('file', new Blob([new Uint8Array(fixture('faces', 'obama-1080p.jpg'))]), 'a.jpg');
  const upload = call(s, 'POST', `/api/v1/scan/${scanId}/upload?wait=true`, { token: t, form });
  // Stop the thread while it holds the job.
  while (pool.pending() === 0) await new Promise((r) => setTimeout(r, 5));
  await pool.threads()[0].terminate();
  const res = await upload;
  assert.equal(res.status, 422);
  assert.equal(res.body.error.code, 'ENGINE_CRASHED');
  const results = await call(s, 'GET', `/api/v1/scan/${scanId}/results`, { token: t });
  assert.equal(results.status, 422);
  assert.equal(results.body.error.code, 'ENGINE_CRASHED');
  // The pool replaced the thread: the next photo is analysed.
  const dead = pool.threads()[0];
  while (pool.threads()[0] === dead) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await pool.analyze(fixture('faces', 'obama-240p.jpg'))).face?.landmarks.length, 468);
});

test('a huge history offset and a token whose sub is not a string answer 4xx, not 500', async () => {
  const t = await register();
  const big = await call(s, 'GET', '/api/v1/scan/history?offset=99999999999999999999', { token: t });
  assert.equal(big.status, 400);
  // Numbers that coerce to Infinity (found by review) are refused too.
  for (const q of ['history?offset=1e400', 'history?limit=1e400', 'trends?limit=Infinity', 'history?offset=-1e400']) {
    const r = await call(s, 'GET', `/api/v1/scan/${q}`, { token: t });
    assert.equal(r.status, 400, q);
  }
  for (const sub of [42, { $ne: null }, ['a'], null]) {
    const r = await call(s, 'GET', '/api/v1/auth/me', { token: token({ sub, email: 'x@example.org' }) });
    assert.equal(r.status, 401, JSON.stringify(sub));
    assert.equal(r.body.error.code, 'INVALID_TOKEN');
  }
});

test('a client that aborts mid-upload is logged at info level, without a stack trace', async () => {
  const t = await register();
  const scanId = await initScan(t);
  const c = connect();
  await c.write(`POST /api/v1/scan/${scanId}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n\r\n${'x'.repeat(10000)}`);
  await new Promise((r) => setTimeout(r, 300));
  c.socket.destroy();
  const seen = () => s.logs.some((l) => l.msg === 'client aborted the request');
  for (let i = 0; i < 40 && !seen(); i++) await new Promise((r) => setTimeout(r, 50));
  const line = s.logs.find((l) => l.msg === 'client aborted the request');
  assert.ok(line, JSON.stringify(s.logs.filter((l) => Number(l.level) >= 40).slice(-3)));
  assert.equal(line.level, 30);
  assert.doesNotMatch(JSON.stringify(line), /\\n\s+at /);
  assert.ok(!s.logs.some((l) => Number(l.level) >= 50 && /abort|ECONNRESET/i.test(JSON.stringify(l))), 'no error-level line for it');
});

test('uploads in flight share one budget: past it the next is refused at once with 503 UPLOADS_BUSY and Retry-After', async () => {
  // 2.5 MB for the process, all of it for one account (the share has its own test); each upload
  // below declares 1 MB (the route's limit is 1 MB + overhead).
  const tight = await startTestApp(pool, { SKINSIGHT_UPLOAD_LIMIT_MB: '1', SKINSIGHT_UPLOAD_INFLIGHT_MB: '2.5', SKINSIGHT_UPLOAD_USER_SHARE: '1' }, { wrap: (engine) => engine });
  const tightPort = Number(new URL(tight.base).port);
  const conns: ReturnType<typeof connect>[] = [];
  try {
    const t = (await newAccount(tight)).token;
    const start = async () => {
      const scanId = (await call(tight, 'POST', '/api/v1/scan/init', { token: t })).body.scan_id;
      const c = connect(tightPort);
      conns.push(c);
      await c.write(`POST /api/v1/scan/${scanId}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${LIMIT}\r\n\r\n--b\r\n`);
      return c;
    };
    const [a, b] = [await start(), await start()];
    const third = await start();
    assert.ok(await third.until(() => responses(third.received()) > 0, 3000), 'the third is answered without sending its body');
    assert.equal(status(third.received()), 503);
    assert.match(third.received(), /UPLOADS_BUSY/);
    assert.match(third.received(), /retry-after: 1/i);
    assert.equal(responses(a.received()) + responses(b.received()), 0, 'the first two are still being read');
    // One goes away: its bytes are free again, and the next upload is read.
    a.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const fourth = await start();
    assert.equal(await fourth.until(() => responses(fourth.received()) > 0, 500), false, 'the fourth is being read');
  } finally {
    for (const c of conns) c.socket.destroy();
    await tight.close();
  }
});

test('one account holds at most its share of the upload budget: past it 429 TOO_MANY_UPLOADS, while another account is still read (review item 1)', async () => {
  // 4 MiB for the process, half of it per account; each upload below declares 1 MiB.
  const tight = await startTestApp(pool, { SKINSIGHT_UPLOAD_LIMIT_MB: '1', SKINSIGHT_UPLOAD_INFLIGHT_MB: '4', SKINSIGHT_UPLOAD_USER_SHARE: '0.5' }, { wrap: (engine) => engine });
  const tightPort = Number(new URL(tight.base).port);
  const conns: ReturnType<typeof connect>[] = [];
  try {
    const [mallory, bob] = [(await newAccount(tight)).token, (await newAccount(tight)).token];
    const start = async (t: string) => {
      const scanId = (await call(tight, 'POST', '/api/v1/scan/init', { token: t })).body.scan_id;
      const c = connect(tightPort);
      conns.push(c);
      await c.write(`POST /api/v1/scan/${scanId}/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${LIMIT}\r\n\r\n--b\r\n`);
      return c;
    };
    const held = [await start(mallory), await start(mallory)];
    const third = await start(mallory);
    assert.ok(await third.until(() => responses(third.received()) > 0, 3000), 'the third is answered without sending its body');
    assert.equal(status(third.received()), 429, third.received().slice(0, 300));
    assert.match(third.received(), /"code":"TOO_MANY_UPLOADS"/);
    assert.match(third.received(), /retry-after: 1/i);
    const other = await start(bob);
    assert.equal(await other.until(() => responses(other.received()) > 0, 500), false, "another account's upload is being read");
    assert.equal(responses(held[0]!.received()) + responses(held[1]!.received()), 0, 'the first two are still being read');
    // One of the account's uploads goes away: its share is free again.
    held[0]!.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const again = await start(mallory);
    assert.equal(await again.until(() => responses(again.received()) > 0, 500), false, 'the account may upload again');
  } finally {
    for (const c of conns) c.socket.destroy();
    await tight.close();
  }
});

test('one account has at most SKINSIGHT_SCANS_IN_FLIGHT_PER_USER scans queued or analysing: past it 429 TOO_MANY_SCANS; others still upload (review item 2)', async () => {
  const gated = await startTestApp(pool, { SKINSIGHT_SCANS_IN_FLIGHT_PER_USER: '2' }, { wrap: (engine) => new GatedAnalyzer(engine) });
  gated.analyzer.hold();
  try {
    const photo = fixture('faces', 'obama-240p.jpg');
    const upload = async (t: string) => {
      const id = (await call(gated, 'POST', '/api/v1/scan/init', { token: t })).body.scan_id;
      const form = new FormData();
      form.append('consent', 'true');
      form.append('file', new Blob([new Uint8Array(photo)]), 'a.jpg');
      return call(gated, 'POST', `/api/v1/scan/${id}/upload`, { token: t, form });
    };
    const [mallory, bob] = [(await newAccount(gated)).token, (await newAccount(gated)).token];
    // Sent at once: the count is part of the row's UPDATE, so exactly two take a place.
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => upload(mallory)));
    assert.deepEqual(burst.map((r) => r.status).sort(), [202, 202, 429, 429, 429]);
    for (const r of burst.filter((r) => r.status === 429)) {
      assert.equal(r.body.error.code, 'TOO_MANY_SCANS');
      assert.equal(r.headers.get('retry-after'), '5');
    }
    assert.equal((await upload(bob)).status, 202, 'another account is not held up');
    // The last check is in the UPDATE itself (two uploads past the first check cannot both get in).
    const repo = gated.app.skinsight.scans;
    const userId = (await call(gated, 'GET', '/api/v1/auth/me', { token: mallory })).body.id;
    const late = crypto.randomUUID();
    await repo.create({ id: late, userId, now: new Date().toISOString() });
    const up = { imageKey: 'k', format: 'jpeg', size: 1, storeImage: false, closeup: false, imageExpiresAt: null, now: new Date().toISOString() };
    assert.equal(await repo.markProcessing(late, up, { userId, max: 2 }), false);
    assert.equal(await repo.markProcessing(late, up, { userId, max: 3 }), true);
    await repo.delete(late);
    // Once the held ones finish, the account may upload again.
    gated.analyzer.release();
    for (let i = 0; i < 200 && (await repo.countInFlight(userId)) > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await upload(mallory)).status, 202);
  } finally {
    gated.analyzer.release();
    await gated.close();
  }
});

test('errors raised before a route is found answer in the catalogue shape with the security headers (review item 5)', async () => {
  for (const [request, code, want] of [
    ['GET /api/v1/scan/%zz/status HTTP/1.1\r\nHost: x\r\n\r\n', 'BAD_REQUEST', 400],
    ['GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n', 'BAD_REQUEST', 400],
    ['GARBAGE\r\n\r\n', 'BAD_REQUEST', 400],
    ['POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'BAD_REQUEST', 400],
    ['POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 'BAD_REQUEST', 400],
    [`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'HEADERS_TOO_LARGE', 431],
  ] as const) {
    const c = connect();
    await c.write(request);
    assert.ok(await c.until(() => /\r\n\r\n\{.*\}$/s.test(c.received()), 3000), `${request.slice(0, 40)}: answered`);
    const [head, body] = c.received().split('\r\n\r\n');
    assert.equal(status(head!), want, head);
    assert.deepEqual(Object.keys(JSON.parse(body!)), ['error']);
    assert.equal(JSON.parse(body!).error.code, code);
    assert.match(head!, /x-content-type-options: nosniff/i);
    assert.match(head!, /cache-control: no-store/i);
    c.socket.destroy();
  }
});

test('an upload route refuses a non-multipart body at once, before authentication reads it (JSON or text would be buffered)', async () => {
  const t = await register();
  const scanId = await initScan(t);
  for (const [type, url, auth] of [
    ['application/json', '/api/v1/analyze', ''],
    ['text/plain', `/api/v1/scan/${scanId}/upload`, ''],
    ['application/json', `/api/v1/scan/${scanId}/upload`, `Authorization: Bearer ${t}\r\n`],
  ] as const) {
    const c = connect();
    // A chunked body that never ends: only an answer sent without reading it can come back.
    await c.write(`POST ${url} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: ${type}\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n`);
    assert.ok(await c.until(() => responses(c.received()) > 0, 3000), `${type} to ${url}: answered without the body`);
    assert.equal(status(c.received()), 415, c.received().slice(0, 200));
    assert.match(c.received(), /NOT_MULTIPART/);
    c.socket.destroy();
  }
});
