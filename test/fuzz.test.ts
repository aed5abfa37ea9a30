/**
 * A few hundred fuzzed uploads (bench/fuzz.ts: random bytes, mutated JPEG/PNG/WebP headers, huge
 * declared dimensions, broken multipart bodies) against the service in a child process: no 5xx,
 * and the process is still up and answering afterwards. The ≥ 10,000-case run is
 * bench/fuzz.bench.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { makeSeeds, runFuzz, startServiceChild } from '../bench/fuzz.ts';
import { fixture, REPO } from './helpers/fixtures.ts';

test('300 fuzzed uploads: no 5xx, the service stays up', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-fuzz-test-'));
  const svc = await startServiceChild(REPO, dataDir, { SKINSIGHT_WORKERS: '1' });
  try {
    const seeds = await makeSeeds(fixture('faces', 'obama-240p.jpg'));
    const report = await runFuzz(svc.target, seeds, 7, 300, 4);
    assert.equal(report.cases, 300);
    assert.deepEqual(report.fiveXX, [], JSON.stringify(report.byKind));
    // Several kinds were really exercised.
    assert.ok(Object.keys(report.byKind).length >= 10, Object.keys(report.byKind).join(', '));
    assert.equal(svc.proc.exitCode, null, svc.stderr());
    assert.equal((await fetch(`${svc.base}/health/live`)).status, 200);
  } finally {
    svc.proc.kill('SIGTERM');
    await svc.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
