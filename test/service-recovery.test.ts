/**
 * Crash recovery: the server runs as a child process; it is killed with SIGKILL while a scan
 * is mid-analysis, restarted on the same data folder, and the scan completes.
 * Determinism: the first server runs with SKINSIGHT_DEBUG_HOLD_MS, so every analysis waits
 * (10 minutes) after the engine ran and before the result is saved; the kill comes after the
 * server logged that hold, so the scan is provably in `processing` when it dies.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { AnalysisResult } from '../src/engine/result/schema.ts';
import { registerAndLogin } from './helpers/http.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.resolve(ROOT, '../shared/fixtures');
const SECRET = 'recovery-secret-0123456789';

interface Child {
  proc: ChildProcess;
  url: string;
  logs: any[];
  /** Resolves with the first log line matching. */
  waitFor(pred: (line: any) => boolean): Promise<any>;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function startChild(dataDir: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/service/index.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SKINSIGHT_DATA_DIR: dataDir,
      SKINSIGHT_JWT_SECRET: SECRET,
      SKINSIGHT_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const logs: any[] = [];
  const waiters: { pred: (l: any) => boolean; resolve: (l: any) => void }[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  readline.createInterface({ input: proc.stdout! }).on('line', (text) => {
    let line: any;
    try {
      line = JSON.parse(text);
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const w of waiters.slice()) {
      if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const waitFor = (pred: (l: any) => boolean) =>
    new Promise<any>((resolve, reject) => {
      const found = logs.find(pred);
      if (found) return resolve(found);
      waiters.push({ pred, resolve });
      exited.then((code) => reject(new Error(`server exited (${code}) before the expected log line:\n${stderr}`)));
    });
  return waitFor((l) => l.msg === 'ML Inference Service initialized successfully').then((l) => ({
    proc,
    url: l.url,
    logs,
    waitFor,
    exited,
  }));
}

async function call(base: string, method: string, url: string, token?: string, body?: BodyInit, json?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + url, { method, headers, body: json !== undefined ? JSON.stringify(json) : body });
  return { status: res.status, body: (await res.json()) as any };
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
    const init = await call(first.url, 'POST', '/api/v1/scan/init', token);
    const id = init.body.scan_id;
    const fd = new FormData();
    fd.append('consent', 'true');
    fd.append('file', new Blob([new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'faces/obama.jpg')))]), 'obama.jpg');
    const up = await call(first.url, 'POST', `/api/v1/scan/${id}/upload`, token, fd);
    assert.equal(up.status, 202);

    await first.waitFor((l) => l.scanId === id && String(l.msg).startsWith('debug hold'));
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
      await second.waitFor((l) => l.msg === 'recovery: re-queued interrupted scans' && l.requeued === 1);
      const done = await second.waitFor((l) => l.scanId === id && l.msg === 'scan completed');
      assert.ok(done);
      // The token from before the crash still works: the secret is configuration, not per process.
      const res = await call(second.url, 'GET', `/api/v1/scan/${id}/results`, token);
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
    const id = (await call(server.url, 'POST', '/api/v1/scan/init', token)).body.scan_id;
    const fd = new FormData();
    fd.append('consent', 'true');
    fd.append('file', new Blob([new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'faces/obama.jpg')))]), 'obama.jpg');
    assert.equal((await call(server.url, 'POST', `/api/v1/scan/${id}/upload`, token, fd)).status, 202);
    // Tries 1 and 2 each end in kill -9 mid-analysis (the hold stands in for a crashing photo).
    for (let attempt = 1; attempt <= 2; attempt++) {
      await server.waitFor((l) => l.scanId === id && String(l.msg).startsWith('debug hold'));
      server.proc.kill('SIGKILL');
      await server.exited;
      assert.equal(scanRow(dataDir, id).attempts, attempt);
      server = await startChild(dataDir, env);
    }
    // The third start gives up on it instead of trying again.
    await server.waitFor((l) => l.scanId === id && l.msg === 'scan given up after its last attempt');
    const row = scanRow(dataDir, id);
    assert.deepEqual([row.status, row.attempts, row.image_key], ['failed', 2, null]);
    const res = await call(server.url, 'GET', `/api/v1/scan/${id}/results`, token);
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'ANALYSIS_ABORTED');
    server.proc.kill('SIGTERM');
    await server.exited;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('production mode refuses to start without a JWT secret', { timeout: 60_000 }, async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/service/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', SKINSIGHT_JWT_SECRET: '', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => proc.on('exit', r));
  assert.equal(code, 1);
  assert.match(stderr, /SKINSIGHT_JWT_SECRET is required/);
});
