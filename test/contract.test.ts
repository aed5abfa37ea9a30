/**
 * The contract (src/contract): one error catalogue that every raised code is in, published as
 * the OpenAPI `Error.code` enum, answered with the catalogue's status, and counted in the
 * metrics by the code the reply carried.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { ERROR_CODES, ERRORS, isErrorCode } from '../src/contract/errors.ts';
import { createEngine } from '../src/engine/index.ts';
import { HttpError, handleError } from '../src/service/http-errors.ts';
import { declareRouteErrors, type UndeclaredError } from '../src/service/route-errors.ts';
import { ERROR_CODES as ENGINE_CODES } from '../src/engine/errors.ts';
import { fixture, REPO } from '../testkit/fixtures.ts';
import { call, newAccount, scanPhoto, startTestApp, type TestApp } from '../testkit/app.ts';

/** Every .ts file under a folder. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

/**
 * Code literals where an error is raised or answered: `new HttpError('X'`, `new SkinsightError('X'`,
 * `sendError(reply, 'X'`, `errorBody('X'`, `.fail(id, 'X'`, `{ code: 'X'`, and the JWT and
 * Fastify translation tables (`: 'X'` / `['X',`).
 */
const RAISE_PATTERNS = [
  /new (?:HttpError|SkinsightError)\(\s*'([A-Z][A-Z0-9_]+)'/g,
  /(?:sendError|errorBody)\([^'\n]*'([A-Z][A-Z0-9_]+)'/g,
  /\.fail\([^,\n]+,\s*'([A-Z][A-Z0-9_]+)'/g,
  /\bcode: '([A-Z][A-Z0-9_]+)'/g,
  /\bFST_[A-Z_]+: \[?'([A-Z][A-Z0-9_]+)'/g,
  /readonly code = '([A-Z][A-Z0-9_]+)'/g,
];

function raisedCodes(): Map<string, string> {
  const found = new Map<string, string>();
  const files = [...sources(path.join(REPO, 'src/service')), ...sources(path.join(REPO, 'src/engine'))];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const re of RAISE_PATTERNS) for (const m of text.matchAll(re)) found.set(m[1]!, path.relative(REPO, file));
  }
  return found;
}

describe('the error catalogue', () => {
  test('every code the service or the engine raises is in the catalogue', () => {
    const raised = raisedCodes();
    assert.ok(raised.size >= 30, `only ${raised.size} raised codes found: the patterns no longer match the code`);
    // The configuration error ends the process at start-up; it is never an HTTP answer.
    raised.delete('INVALID_CONFIG');
    // A refused webhook destination is written to the delivery log (webhooks/destination.ts), never answered over HTTP.
    raised.delete('WEBHOOK_DESTINATION_REFUSED');
    const missing = [...raised].filter(([code]) => !isErrorCode(code)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(missing, []);
  });

  test('every catalogue code is raised somewhere (no dead entries)', () => {
    const raised = raisedCodes();
    assert.deepEqual(ERROR_CODES.filter((c) => !raised.has(c)), []);
  });

  test("the engine's codes are all in it, and only the service side holds HTTP statuses", () => {
    for (const code of ENGINE_CODES) assert.ok(isErrorCode(code), code);
    const engineText = sources(path.join(REPO, 'src/engine')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    assert.doesNotMatch(engineText, /statusCode|HTTP status/);
    // The engine's error list names codes only: no `CODE: 422` pairs.
    assert.doesNotMatch(fs.readFileSync(path.join(REPO, 'src/engine/errors.ts'), 'utf8'), /[A-Z_]+: [45]\d\d\b/);
  });

  test('each entry has a 4xx/5xx status and a message', () => {
    for (const [code, entry] of Object.entries(ERRORS)) {
      assert.ok(entry.status >= 400 && entry.status < 600, code);
      assert.ok(entry.message.length > 0, code);
    }
  });
});

describe('the contract over HTTP', () => {
  let s: TestApp;
  let close: () => Promise<void>;

  before(async () => {
    const engine = await createEngine();
    s = await startTestApp(engine);
    close = async () => {
      await s.close();
      await engine.close();
    };
  });
  after(() => close());

  test('GET /openapi.json lists every error code as the Error.code enum', async () => {
    const doc = await call(s, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    const error = doc.body.components.schemas.Error;
    assert.deepEqual(error.properties.error.properties.code.enum, ERROR_CODES);
    assert.deepEqual(error.properties.error.required, ['code', 'message']);
  });

  test('each route documents its error statuses from its declared codes, and every listed status has a code', async () => {
    const doc = (await call(s, 'GET', '/openapi.json')).body;
    let operations = 0;
    for (const [route, methods] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        const errorStatuses = Object.keys(op.responses).filter((st) => Number(st) >= 400);
        assert.ok(errorStatuses.includes('500'), `${method} ${route} documents 500 INTERNAL`);
        for (const st of errorStatuses) {
          const codes: string[] | undefined = op.responses[st].content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum;
          if (route === '/health/ready' && st === '503') continue; // the readiness body, not an error
          assert.ok(codes && codes.length > 0, `${method} ${route} ${st} lists no code`);
          for (const code of codes) {
            assert.ok(isErrorCode(code), `${method} ${route} ${st}: ${code} is not in the catalogue`);
            const status = ERRORS[code].status;
            // A failed scan's code is answered with its status, but never a 5xx (422 instead).
            assert.ok(status === Number(st) || (status >= 500 && st === '422'), `${method} ${route} lists ${code} under ${st}, the catalogue says ${status}`);
          }
        }
      }
    }
    assert.ok(operations >= 20, `only ${operations} documented operations`);
  });

  test('what routes answer is what they document (code under its status)', async () => {
    const doc = (await call(s, 'GET', '/openapi.json')).body;
    const u = await newAccount(s);
    const missing = '00000000-0000-4000-8000-000000000000';
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(fixture('faces', 'obama-240p.jpg'))]), 'a.jpg');
    const init = await call(s, 'POST', '/api/v1/scan/init', { token: u.token });
    const cases: [string, string, string, Parameters<typeof call>[3]?][] = [
      ['GET', '/api/v1/scan/{scan_id}/status', `/api/v1/scan/${missing}/status`, { token: u.token }],
      ['GET', '/api/v1/scan/{scan_id}/status', '/api/v1/scan/not-a-uuid/status', { token: u.token }],
      ['GET', '/api/v1/scan/{scan_id}/results', `/api/v1/scan/${init.body.scan_id}/results`, { token: u.token }],
      ['GET', '/api/v1/scan/{scan_id}/image', `/api/v1/scan/${init.body.scan_id}/image`, { token: u.token }],
      ['POST', '/api/v1/scan/{scan_id}/upload', `/api/v1/scan/${init.body.scan_id}/upload`, { token: u.token, form }],
      ['POST', '/api/v1/scan/{scan_id}/upload', `/api/v1/scan/${init.body.scan_id}/upload`, { token: u.token, json: {} }],
      ['GET', '/api/v1/scan/history', '/api/v1/scan/history'],
      ['GET', '/api/v1/scan/history', '/api/v1/scan/history?limit=0', { token: u.token }],
      ['GET', '/api/v1/scan/trends', '/api/v1/scan/trends', { token: 'not.a.token' }],
      ['DELETE', '/api/v1/scan/{scan_id}', `/api/v1/scan/${missing}`, { token: u.token }],
      ['GET', '/api/v1/admin/analytics', '/api/v1/admin/analytics', { token: u.token }],
      ['POST', '/api/v1/admin/models/reload', '/api/v1/admin/models/reload', { token: u.token }],
      ['GET', '/api/v1/admin/webhooks/deliveries', '/api/v1/admin/webhooks/deliveries', { token: u.token }],
      ['POST', '/api/v1/auth/login', '/api/v1/auth/login', { json: { email: u.email, password: 'not the password' } }],
      ['POST', '/api/v1/auth/register', '/api/v1/auth/register', { json: { email: 'weak@example.org', password: 'password' } }],
      ['POST', '/api/v1/auth/register', '/api/v1/auth/register', { headers: { 'content-type': 'text/plain' } }],
      ['POST', '/api/v1/auth/password', '/api/v1/auth/password', { token: u.token, json: { current_password: 'wrong wrong wrong', new_password: 'another long passphrase' } }],
      ['DELETE', '/api/v1/auth/me', '/api/v1/auth/me', { token: u.token, json: { password: 'wrong wrong wrong' } }],
      ['POST', '/api/v1/analyze', '/api/v1/analyze', { headers: { 'x-api-key': 'wrong' } }],
    ];
    for (const [method, route, url, opts] of cases) {
      const r = await call(s, method, url, opts);
      const code = r.body.error?.code;
      assert.ok(isErrorCode(code), `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      const listed = doc.paths[route]?.[method.toLowerCase()]?.responses[String(r.status)]?.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum;
      assert.ok(listed?.includes(code), `${method} ${route} answered ${r.status} ${code}, documented: ${JSON.stringify(listed)}`);
    }
    assert.deepEqual(s.undeclared, []);
  });

  test("errors answer with the catalogue's status for their code", async () => {
    const u = await newAccount(s);
    const cases: [string, string, string?][] = [
      ['GET', '/api/v1/scan/00000000-0000-4000-8000-000000000000/status', u.token],
      ['GET', '/api/v1/scan/history'],
      ['GET', '/api/v1/no/such/route'],
      ['GET', '/api/v1/admin/analytics', u.token],
      ['GET', '/api/v1/scan/history?limit=0', u.token],
    ];
    const seen: string[] = [];
    for (const [method, url, token] of cases) {
      const r = await call(s, method, url, { token });
      assert.ok(isErrorCode(r.body.error?.code), `${url}: ${JSON.stringify(r.body)}`);
      assert.equal(r.status, ERRORS[r.body.error.code as keyof typeof ERRORS].status, url);
      seen.push(r.body.error.code);
    }
    assert.deepEqual(seen, ['SCAN_NOT_FOUND', 'UNAUTHORIZED', 'NOT_FOUND', 'FORBIDDEN', 'INVALID_REQUEST']);
  });

  test('metrics count errors by the code the reply carried', async () => {
    const count = async (code: string) => {
      const text = await (await fetch(`${s.base}/metrics`)).text();
      const m = new RegExp(`skinsight_errors_total\\{code="${code}",source="http"\\} (\\d+)`).exec(text);
      return m ? Number(m[1]) : 0;
    };
    const before = { noFace: await count('NO_FACE'), notFound: await count('NOT_FOUND'), bare: await count('HTTP_422') };
    const u = await newAccount(s);
    // A real photo without a face: the scan fails, and its answer (422, with the scan's id) carries the engine's code.
    const { reply } = await scanPhoto(s, u.token, fixture('non-faces', 'rocket.jpg'));
    assert.equal(reply.status, 422);
    assert.equal(reply.body.error.code, 'NO_FACE');
    assert.equal((await call(s, 'GET', '/api/v1/nowhere')).status, 404);
    assert.equal(await count('NO_FACE'), before.noFace + 1);
    assert.equal(await count('NOT_FOUND'), before.notFound + 1);
    assert.equal(await count('HTTP_422'), before.bare, 'no error answered without its code');
  });
});

describe('declared route errors (route-errors.ts)', () => {
  test('a route answering a code it does not declare is reported; a declared one is not', async () => {
    const app = Fastify({ logger: false });
    const seen: UndeclaredError[] = [];
    declareRouteErrors(app, (e) => seen.push(e));
    app.setErrorHandler(handleError);
    const schema = { response: { 200: { type: 'object' } } };
    app.get('/declared', { config: { errors: ['SCAN_NOT_FOUND'] }, schema }, async () => {
      throw new HttpError('SCAN_NOT_FOUND');
    });
    app.get('/undeclared', { config: { errors: ['SCAN_NOT_FOUND'] }, schema }, async () => {
      throw new HttpError('FORBIDDEN');
    });
    app.get('/fault', { config: { errors: [] }, schema }, async () => {
      throw new Error('boom');
    });
    await app.ready();
    try {
      assert.equal((await app.inject({ url: '/declared' })).statusCode, 404);
      assert.equal((await app.inject({ url: '/fault' })).statusCode, 500);
      assert.deepEqual(seen, []);
      assert.equal((await app.inject({ url: '/undeclared' })).statusCode, 403);
      assert.deepEqual(seen, [{ method: 'GET', url: '/undeclared', status: 403, code: 'FORBIDDEN' }]);
    } finally {
      await app.close();
    }
  });
});
