/**
 * Crash recovery: the server runs as a child process; it is killed with SIGKILL while a scan
 * is mid-analysis, restarted on the same data folder, and the scan completes.
 * Determinism: the first server runs with SKINSIGHT_DEBUG_HOLD_MS, so every analysis waits
 * (10 minutes) after the engine ran and before the result is saved; the kill comes after the
 * engine has run (its stage metrics count the analysis), so the scan is provably in `processing`
 * when it dies. Each start is awaited on the server's IPC ready message (testkit/service-process.ts),
 * and every later wait on an explicit state (metrics, the scan's status, its row), never a log line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { AnalysisResult } from '../src/engine/result/schema.ts';
import { fixture } from '../testkit/fixtures.ts';
import { analysesDone, call, registerAndLogin, until } from '../testkit/http.ts';
import { spawnService, type ServiceProcess } from '../testkit/service-process.ts';

const SECRET = 'recovery-secret-0123456789';

const started: ServiceProcess[] = [];
after(async () => {
  for (const c of started) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
});

async function startChild(dataDir: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const child = await spawnService(dataDir, { SKINSIGHT_JWT_SECRET: SECRET, SKINSIGHT_WORKERS: '1', ...env });
  started.push(child);
  return child;
}

function scanPhoto(base: string, token: string) {
  const fd = new FormData();
  fd.append('consent', 'true');
  fd.append('file', new Blob([new Uint8Array(fixture('faces/obama.jpg'))]), 'obama.jpg');
  return call(base, 'POST', `/api/v1/scan/init`, { token }).then((init) =>
    call(base, 'POST', `/api/v1/scan/${init.body.scan_id}/upload`, { token, form: fd }).then((up) => ({ id: init.body.scan_id as string, up })),
  );
}

function scanRow(dataDir: string, id: string): any {
  const db = new SQLite(path.join(dataDir, 'skinsight.db'), { readonly: true });
  try {
    return db.prepare('select status, image_key, attempts from scans where id = ?').get(id);
  } finally {
    db.close();
  }
}

test('a scan interrupted by kill -9 mid-analysis completes after a restart', { timeout: 120_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-recovery-'));
  try {
    const first = await startChild(dataDir, { SKINSIGHT_DEBUG_HOLD_MS: '600000' });
    assert.ok(first.logs.some((l) => l.msg === 'Using device: cpu'), 'logs the device');
    const { token } = await registerAndLogin(first.url, 'crash@example.org', 'correct horse battery');
    const { id, up } = await scanPhoto(first.url, token);
    assert.equal(up.status, 202);

    // The engine ran (the stage metrics say so) and the hold keeps the result unsaved.
    await until('the analysis done and held', async () => (await analysesDone(first.url)) >= 1);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exited, null);

    // Dead mid-job: still processing, the upload kept on disk.
    const before = scanRow(dataDir, id);
    assert.equal(before.status, 'processing');
    assert.equal(before.attempts, 1);
    const upload = path.join(dataDir, 'images', before.image_key);
    assert.equal(fs.existsSync(upload), true);

    const second = await startChild(dataDir);
    try {
      // Recovery re-queued it at the start: it completes without a new upload.
      await until('the scan completed after the restart, its upload released', async () => {
        const r = scanRow(dataDir, id);
        return r.status === 'completed' && r.image_key === null;
      }, 60_000);
      // The token from before the crash still works: the secret is configuration, not per process.
      const res = await call(second.url, 'GET', `/api/v1/scan/${id}/results`, { token });
      assert.equal(res.status, 200);
      AnalysisResult.parse(res.body.result);
      const afterRow = scanRow(dataDir, id);
      assert.equal(afterRow.status, 'completed');
      assert.equal(afterRow.attempts, 2);
      assert.equal(afterRow.image_key, null);
      assert.equal(fs.existsSync(upload), false);
    } finally {
      second.proc.kill('SIGTERM');
      assert.equal(await second.exited, 0, 'a graceful stop exits 0');
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a scan that dies with the server at every try fails ANALYSIS_ABORTED after SKINSIGHT_JOB_ATTEMPTS, not at every start', { timeout: 180_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-poison-'));
  const env = { SKINSIGHT_DEBUG_HOLD_MS: '600000', SKINSIGHT_JOB_ATTEMPTS: '2' };
  try {
    let server = await startChild(dataDir, env);
    const { token } = await registerAndLogin(server.url, 'poison@example.org', 'correct horse battery');
    const { id, up } = await scanPhoto(server.url, token);
    assert.equal(up.status, 202);
    // Tries 1 and 2 each end in kill -9 mid-analysis (the hold stands in for a crashing photo).
    for (let attempt = 1; attempt <= 2; attempt++) {
      await until(`try ${attempt} done and held`, async () => (await analysesDone(server.url)) >= 1, 60_000);
      server.proc.kill('SIGKILL');
      await server.exited;
      assert.equal(scanRow(dataDir, id).attempts, attempt);
      server = await startChild(dataDir, env);
    }
    // The third start gives up on it instead of trying again.
    // Given up: failed, and its upload released (the row says both once the processor is done with it).
    await until('the scan given up', async () => {
      const r = scanRow(dataDir, id);
      return r.status === 'failed' && r.image_key === null;
    }, 60_000);
    const row = scanRow(dataDir, id);
    assert.deepEqual([row.status, row.attempts, row.image_key], ['failed', 2, null]);
    const res = await call(server.url, 'GET', `/api/v1/scan/${id}/results`, { token });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'ANALYSIS_ABORTED');
    server.proc.kill('SIGTERM');
    await server.exited;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('production mode refuses to start without a JWT secret', { timeout: 60_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-prod-'));
  try {
    await assert.rejects(startChild(dataDir, { NODE_ENV: 'production', SKINSIGHT_JWT_SECRET: '' }), /exited \(1\) before it was ready\n[^]*SKINSIGHT_JWT_SECRET is required/);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
