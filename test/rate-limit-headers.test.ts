/**
 * Issue #16, item 4: the IETF RateLimit fields on every limited route and Retry-After on every
 * 429 and 503, over real HTTP against the real service and engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Analyzer } from '../src/engine/api.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { call, newAccount, startTestApp } from '../testkit/app.ts';

let pool: Analyzer;
before(async () => {
  pool = await createEnginePool({ loadVersions: 'all', workers: 1 });
});
after(async () => {
  await pool.close();
});

const fields = (r: { headers: Headers }) => ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((h) => r.headers.get(h));

describe('RateLimit fields and Retry-After', () => {
  test('per IP: every answer carries the limit, what is left and the reset; the 429 adds Retry-After', async () => {
    const s = await startTestApp(pool, { SKINSIGHT_RATE_LIMIT_IP: '4', SKINSIGHT_RATE_LIMIT_WINDOW_S: '60' });
    try {
      for (let left = 3; left >= 0; left--) {
        const r = await call(s, 'GET', '/api/v1/scan/history');
        assert.equal(r.status, 401);
        const [limit, remaining, reset] = fields(r);
        assert.equal(limit, '4');
        assert.equal(remaining, String(left));
        assert.ok(Number(reset) > 0 && Number(reset) <= 60, `reset ${reset}`);
        assert.equal(r.headers.get('x-ratelimit-limit'), null, 'the draft names, not the X- ones');
      }
      const limited = await call(s, 'GET', '/api/v1/scan/history');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'RATE_LIMITED');
      assert.equal(fields(limited)[1], '0');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
    } finally {
      await s.close();
    }
  });

  test('per user: the tighter limit is the one reported, and its 429 carries Retry-After', async () => {
    const s = await startTestApp(pool, { SKINSIGHT_RATE_LIMIT_IP: '1000', SKINSIGHT_RATE_LIMIT_USER: '3' });
    try {
      const { token } = await newAccount(s);
      for (let left = 2; left >= 0; left--) {
        const r = await call(s, 'GET', '/api/v1/scan/history', { token });
        assert.equal(r.status, 200);
        assert.deepEqual(fields(r).slice(0, 2), ['3', String(left)]);
      }
      const limited = await call(s, 'GET', '/api/v1/scan/history', { token });
      assert.equal(limited.status, 429);
      assert.deepEqual(fields(limited).slice(0, 2), ['3', '0']);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
    } finally {
      await s.close();
    }
  });

  test('admin routes report the per-user limit too, not the looser per-IP one (review item 6)', async () => {
    const s = await startTestApp(pool, { SKINSIGHT_RATE_LIMIT_IP: '1000', SKINSIGHT_RATE_LIMIT_USER: '3' });
    try {
      const { token, id } = await newAccount(s);
      await s.app.skinsight.db.updateTable('users').set({ role: 'admin' }).where('id', '=', id).execute();
      for (const url of ['/api/v1/admin/role', '/api/v1/admin/analytics']) {
        const r = await call(s, 'GET', url, { token });
        assert.equal(r.status, 200, url);
        assert.equal(fields(r)[0], '3', url);
      }
    } finally {
      await s.close();
    }
  });

  test('a 503 always says when to come back (readiness with the engine down)', async () => {
    const broken: Analyzer = {
      analyze: (b, o) => pool.analyze(b, o),
      info: () => {
        throw new Error('engine not loaded');
      },
      close: async () => {},
    };
    const s = await startTestApp(broken, {}, { wrap: (engine) => engine });
    try {
      const r = await call(s, 'GET', '/health/ready');
      assert.equal(r.status, 503);
      assert.equal(r.body.status, 'not_ready');
      assert.equal(r.headers.get('retry-after'), '5');
    } finally {
      await s.close();
    }
  });
});
