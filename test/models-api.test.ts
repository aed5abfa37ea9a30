/**
 * Issue #16, item 5: readiness per model version (/health/ready lists every registry entry with
 * its state, as Triton does) and GET /api/v1/models (state, card metrics, A/B share), over real
 * HTTP with a real engine on a registry of tiny real ONNX models, one of them broken.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Analyzer } from '../src/engine/api.ts';
import { createEnginePool } from '../src/engine/pool.ts';
import { abShare } from '../src/service/routes/model-list.ts';
import { call, newAccount, startTestApp, type TestApp } from '../testkit/app.ts';
import { writeTinyRegistry } from './helpers/tiny-onnx.ts';

const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-models-api-'));
let pool: Analyzer;
let s: TestApp;

before(async () => {
  writeTinyRegistry(modelsDir, { acneVersions: ['2.0.0', '2.1.0', '2.2.0'] });
  const manifestFile = path.join(modelsDir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  manifest.models[0].metrics = { split: 'held-out test', test_n: 100, test_macro_f1: 0.61, metrics_file: 'x.json' };
  manifest.models[0].model_card = 'cards/acne_tiny.md';
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  // 2.2.0's file no longer matches its sha256: that version alone is unavailable.
  fs.appendFileSync(path.join(modelsDir, 'acne_tiny-2.2.0.onnx'), Buffer.from([0]));
  pool = await createEnginePool({ workers: 1, modelsDir });
  s = await startTestApp(pool, { SKINSIGHT_AB_SPLIT: 'acne_binary=2.0.0:75,2.1.0:25', SKINSIGHT_SHADOW: 'acne_binary=2.2.0' });
});
after(async () => {
  await s.close();
  await pool.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

async function adminToken() {
  const a = await newAccount(s);
  await s.app.skinsight.db.updateTable('users').set({ role: 'admin' }).where('id', '=', a.id).execute();
  return a.token;
}

describe('models and readiness per version', () => {
  test('/health/ready lists every registry entry with its state and the reason when unavailable', async () => {
    const r = await call(s, 'GET', '/health/ready', { token: await adminToken() });
    assert.equal(r.status, 200);
    const byVersion = Object.fromEntries(r.body.models.map((m: { task: string; version: string }) => [`${m.task}@${m.version}`, m]));
    assert.deepEqual(Object.keys(byVersion).sort(), ['acne_binary@2.0.0', 'acne_binary@2.1.0', 'acne_binary@2.2.0', 'skin_condition@1.0.0']);
    assert.equal(byVersion['acne_binary@2.0.0'].state, 'ready');
    assert.equal(byVersion['acne_binary@2.0.0'].default, true);
    assert.equal(byVersion['acne_binary@2.1.0'].state, 'ready');
    assert.equal(byVersion['acne_binary@2.2.0'].state, 'unavailable');
    assert.match(byVersion['acne_binary@2.2.0'].reason, /sha256 mismatch/);
    assert.equal(byVersion['skin_condition@1.0.0'].state, 'ready');
  });

  test('anyone else sees a stable reason code, never the reason text (it can name server paths; found by review)', async () => {
    const user = await newAccount(s);
    for (const token of [undefined, user.token, 'not.a.token']) {
      const ready = await call(s, 'GET', '/health/ready', { token });
      const models = await call(s, 'GET', '/api/v1/models', { token });
      for (const r of [ready, models]) {
        assert.equal(r.status, 200);
        const broken = r.body.models.find((m: { version: string }) => m.version === '2.2.0');
        assert.equal(broken.reason_code, 'LOAD_FAILED');
        assert.equal(broken.reason, undefined);
        assert.doesNotMatch(JSON.stringify(r.body), /sha256|\.onnx|\/tmp\//);
      }
    }
    const admin = await call(s, 'GET', '/api/v1/models', { token: await adminToken() });
    assert.match(admin.body.models.find((m: { version: string }) => m.version === '2.2.0').reason, /sha256 mismatch/);
  });

  test('GET /api/v1/models: served versions with their A/B share, card metrics and the shadow mark', async () => {
    const r = await call(s, 'GET', '/api/v1/models');
    assert.equal(r.status, 200);
    const get = (task: string, version: string) => r.body.models.find((m: { task: string; version: string }) => m.task === task && m.version === version);
    assert.equal(get('acne_binary', '2.0.0').ab_share, 0.75);
    assert.equal(get('acne_binary', '2.1.0').ab_share, 0.25);
    assert.equal(get('acne_binary', '2.0.0').served, true);
    assert.deepEqual(get('acne_binary', '2.0.0').metrics, { split: 'held-out test', test_n: 100, test_macro_f1: 0.61 });
    assert.equal(get('acne_binary', '2.0.0').model_card, 'cards/acne_tiny.md');
    const broken = get('acne_binary', '2.2.0');
    assert.equal(broken.state, 'unavailable');
    assert.equal(broken.served, false);
    assert.equal(broken.shadow, true);
    // No split for this task: the default serves everyone.
    assert.equal(get('skin_condition', '1.0.0').ab_share, 1);
  });

  test('the share of an entry: its weight over the task total; the default alone without a split', () => {
    const split = { acne_binary: [{ version: '1.0.0', weight: 1 }, { version: '1.1.0', weight: 3 }] };
    const e = (version: string, isDefault = false) => ({ task: 'acne_binary' as const, version, default: isDefault, state: 'ready' as const });
    assert.equal(abShare(split, e('1.1.0')), 0.75);
    assert.equal(abShare(split, e('9.9.9', true)), 0, 'a default outside the split serves nobody');
    assert.equal(abShare({}, e('1.0.0', true)), 1);
    assert.equal(abShare({}, e('1.1.0')), 0);
  });
});
