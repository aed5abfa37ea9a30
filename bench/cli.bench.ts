/**
 * `npm run bench:cli`: `skinsight analyze` over many photos (default 1,000: the face fixtures
 * repeated through symbolic links), sampling the process's resident memory as it goes.
 * Reports photos/s and RSS at 10 %, 50 % and 100 % of the run: flat memory means the last
 * two are close to the first.
 * Options: --photos N (default 1000), --workers N (default 2).
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';
import { linkPhotos, runCli } from './cli-run.ts';

const { values } = commandLine({ options: { photos: { type: 'string', default: '1000' }, workers: { type: 'string', default: '2' } } });
const photos = Number(values.photos);
const dir = linkPhotos(faceFixtures().map((f) => path.join(FACES, f)), photos, 'cli-bench');

function rssMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const started = performance.now();
let done = 0;
const samples: { done: number; rss: number }[] = [];
let timer: NodeJS.Timeout | undefined;
const run = await runCli(REPO, dir, Number(values.workers), () => done++, (pid) => {
  timer = setInterval(() => samples.push({ done, rss: rssMb(pid) }), 250);
});
clearInterval(timer);
const at = (fraction: number) => {
  const s = samples.find((x) => x.done >= photos * fraction) ?? samples.at(-1)!;
  return s.rss.toFixed(0);
};
const peak = Math.max(...samples.map((s) => s.rss));
console.log(`skinsight analyze over ${run.photos} photos with ${values.workers} workers: exit ${run.exit}`);
console.log(`throughput after start-up: ${run.photos_per_s.toFixed(1)} photos/s (total ${((performance.now() - started) / 1000).toFixed(1)} s)`);
console.log(`RSS at 10% / 50% / 100%: ${at(0.1)} / ${at(0.5)} / ${at(1)} MB; peak ${peak.toFixed(0)} MB`);
fs.rmSync(dir, { recursive: true, force: true });
