/**
 * Fuzz the upload endpoints with ≥ 10,000 hostile requests (see fuzz.ts); loopback only.
 *
 *   node --import tsx bench/fuzz.bench.ts [--cases 10000] [--seed 1] [--concurrency 4]
 *
 * Reports the statuses per kind of case and the service's RSS growth; exits 1 on any 5xx, if the
 * service died, or if its memory grew by more than FUZZ_RSS_BUDGET_MB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { fileURLToPath } from 'node:url';
import { watchRss } from '../testkit/rss.ts';
import { FUZZ_RSS_BUDGET_MB, makeSeeds, runFuzz, startServiceChild, warmUp } from './fuzz.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = commandLine({
  options: { cases: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, concurrency: { type: 'string', default: '4' }, workers: { type: 'string', default: '2' } },
});
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-fuzz-'));
const seeds = await makeSeeds(fs.readFileSync(path.resolve(ROOT, '../shared/fixtures/faces/obama-240p.jpg')));
const svc = await startServiceChild(ROOT, dataDir, { SKINSIGHT_WORKERS: values.workers });
const t0 = performance.now();
let code = 0;
try {
  await warmUp(svc.target, seeds);
  const rss = watchRss(svc.proc.pid!);
  const report = await runFuzz(svc.target, seeds, Number(values.seed), Number(values.cases), Number(values.concurrency), (n) => console.error(`[fuzz] ${n} cases`));
  const live = await fetch(`${svc.base}/health/live`).then((r) => r.status, () => 0);
  const alive = svc.proc.exitCode === null && live === 200;
  rss.stop();
  const rssMb = { start: Math.round(rss.startMb), peak: Math.round(rss.peakMb()), growth: Math.round(rss.growthMb()), budget: FUZZ_RSS_BUDGET_MB };
  console.log(JSON.stringify({ ...report, fiveXX: report.fiveXX.slice(0, 20), fiveXXCount: report.fiveXX.length, alive, rssMb, seconds: Math.round((performance.now() - t0) / 1000) }, null, 2));
  if (report.fiveXX.length > 0 || !alive || rssMb.growth > FUZZ_RSS_BUDGET_MB) code = 1;
} finally {
  svc.proc.kill('SIGTERM');
  await svc.exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
