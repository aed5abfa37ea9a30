/**
 * Issue #16, item 1: the typed client @skinsight/client against the real service over HTTP,
 * with the real engine and real photos: its types match the live /openapi.json, scan() waits
 * or polls, errors arrive typed by code with what to do, the idempotency key makes scan()
 * safe to retry, and the webhook verifier accepts the service's signatures and nothing else.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { SkinsightApiError, WebhookVerificationError, createSkinsightClient, verifyWebhook } from '../packages/client/src/index.ts';
import { CLIENT_TYPES_FILE, clientTypesFrom } from '../scripts/client-types.ts';
import type { Analyzer } from '../src/engine/api.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { AnalysisResult } from '../src/engine/result/schema.ts';
import { webhookHeaders } from '../src/service/webhooks/signature.ts';
import { fixture } from '../testkit/fixtures.ts';
import { withoutGeometry } from '../testkit/http.ts';
import { call, newAccount, startTestApp, type TestApp } from '../testkit/app.ts';

let pool: Analyzer;
let s: TestApp;
before(async () => {
  pool = await createEnginePool({ workers: 1 });
  s = await startTestApp(pool);
});
after(async () => {
  await s.close();
  await pool.close();
});

describe('@skinsight/client', () => {
  test('the committed types are what openapi-typescript makes of the live /openapi.json', async () => {
    const doc = (await call(s, 'GET', '/openapi.json')).body;
    const fresh = await clientTypesFrom(doc);
    const committed = fs.readFileSync(CLIENT_TYPES_FILE, 'utf8');
    assert.ok(fresh === committed, 'packages/client/src/schema.gen.ts is stale: run `node --import tsx scripts/client-types.ts`');
  });

  test('scan(file, {wait: true}) returns the result in one request; without wait it polls to the same end', async () => {
    const { token } = await newAccount(s);
    const client = createSkinsightClient({ baseUrl: s.base, token });
    const waited = await client.scan(fixture('faces', 'obama.jpg'), { wait: true });
    assert.equal(waited.status, 'completed');
    AnalysisResult.parse(waited.result);
    const polled = await client.scan(new Blob([new Uint8Array(fixture('faces', 'biden.jpg'))]), { pollIntervalMs: 50 });
    assert.equal(polled.status, 'completed');
    AnalysisResult.parse(polled.result);
    // The generated types reach every route through `api`.
    const { data } = await client.api.GET('/api/v1/scan/history', { params: { query: { limit: 5 } } });
    assert.equal(data?.total, 2);
  });

  test('errors are typed by code and say what to do: fix the input, re-authenticate', async () => {
    const { token } = await newAccount(s);
    const client = createSkinsightClient({ baseUrl: s.base, token });
    await assert.rejects(client.scan(Buffer.from('not an image'), { wait: true }), (err: unknown) => {
      assert.ok(err instanceof SkinsightApiError);
      assert.equal(err.status, 415);
      assert.equal(err.code, 'UNSUPPORTED_FORMAT');
      assert.equal(err.action, 'fix_input');
      return true;
    });
    // A failed analysis found by polling is thrown with its code and scan id.
    await assert.rejects(client.scan(fixture('non-faces', 'truncated.jpg'), { pollIntervalMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof SkinsightApiError);
      assert.equal(err.code, 'CORRUPT_IMAGE');
      assert.equal(err.action, 'fix_input');
      assert.ok(err.scanId);
      return true;
    });
    const stranger = createSkinsightClient({ baseUrl: s.base, token: 'not-a-token' });
    await assert.rejects(stranger.scan(fixture('faces', 'obama.jpg')), (err: unknown) => {
      assert.ok(err instanceof SkinsightApiError);
      assert.equal(err.status, 401);
      assert.equal(err.action, 'reauthenticate');
      return true;
    });
  });

  test('scan() with an idempotency key is safe to retry: the same scan, one analysis', async () => {
    const { token } = await newAccount(s);
    const client = createSkinsightClient({ baseUrl: s.base, token: () => token });
    const key = crypto.randomUUID();
    const before = s.analyzer.analyses;
    const first = await client.scan(fixture('faces', 'obama2.jpg'), { wait: true, idempotencyKey: key });
    const retry = await client.scan(fixture('faces', 'obama2.jpg'), { wait: true, idempotencyKey: key });
    assert.equal(retry.scan_id, first.scan_id);
    assert.deepEqual(retry.result, withoutGeometry(first.result!), 'the replay is the first result without the face mesh');
    assert.equal(s.analyzer.analyses - before, 1);
  });

  test('verifyWebhook accepts the service’s signature and refuses a changed body, another secret or an old timestamp', async () => {
    const secret = `whsec_${crypto.randomBytes(32).toString('base64')}`;
    const body = JSON.stringify({ type: 'scan.completed', timestamp: new Date().toISOString(), data: { scan_id: 'x', status: 'completed', error: null } });
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secret, 'msg_1', now, body);
    const event = await verifyWebhook(secret, new Headers(headers), body);
    assert.equal(event.type, 'scan.completed');
    assert.equal((await verifyWebhook(secret, headers, body)).data.scan_id, 'x', 'a plain header object (node:http) works too');
    const refused = (p: Promise<unknown>) => assert.rejects(p, WebhookVerificationError);
    await refused(verifyWebhook(secret, headers, body.replace('"x"', '"y"')));
    await refused(verifyWebhook(`whsec_${crypto.randomBytes(32).toString('base64')}`, headers, body));
    await refused(verifyWebhook(secret, webhookHeaders(secret, 'msg_1', now - 3600, body), body));
    await refused(verifyWebhook(secret, { 'webhook-id': 'msg_1' }, body));
  });
});
