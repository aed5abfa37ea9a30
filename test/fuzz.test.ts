/**
 * A few hundred fuzzed uploads (bench/fuzz.ts: random bytes, mutated JPEG/PNG/WebP headers, huge
 * declared dimensions, broken multipart bodies, decompression bombs) against the service in a
 * child process: no 5xx, the process is still up and answering afterwards, and its resident
 * memory never grows by more than FUZZ_RSS_BUDGET_MB over the warmed-up service. The
 * ≥ 10,000-case run is bench/fuzz.bench.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FUZZ_RSS_BUDGET_MB, makeSeeds, runFuzz, startServiceChild, warmUp } from '../bench/fuzz.ts';
import { fixture, REPO } from '../testkit/fixtures.ts';
import { watchRss } from '../testkit/rss.ts';

test('300 fuzzed uploads: no 5xx, bounded memory, the service stays up', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-fuzz-test-'));
  const svc = await startServiceChild(REPO, dataDir, { SKINSIGHT_WORKERS: '1' });
  try {
    const seeds = await makeSeeds(fixture('faces', 'obama-240p.jpg'));
    await warmUp(svc.target, seeds);
    const rss = watchRss(svc.proc.pid!);
    const report = await runFuzz(svc.target, seeds, 7, 300, 4);
    rss.stop();
    assert.equal(report.cases, 300);
    assert.ok(Object.keys(report.byKind).some((k) => k.startsWith('bomb-')), 'bombs were sent');
    assert.ok(rss.growthMb() <= FUZZ_RSS_BUDGET_MB, `RSS grew ${rss.growthMb().toFixed(0)} MB from ${rss.startMb.toFixed(0)} MB`);
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
