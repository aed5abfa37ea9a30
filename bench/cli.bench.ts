/**
 * `npm run bench:cli`: `skinsight analyze` over many photos (default 1,000: the face fixtures
 * repeated through symbolic links), sampling the process's resident memory as it goes.
 * Reports photos/s and RSS at 10 %, 50 % and 100 % of the run: flat memory means the last
 * two are close to the first.
 * Options: --photos N (default 1000), --workers N (default 2).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';

const { values } = parseArgs({ options: { photos: { type: 'string', default: '1000' }, workers: { type: 'string', default: '2' } } });
const photos = Number(values.photos);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-cli-bench-'));
const fixtures = faceFixtures();
for (let i = 0; i < photos; i++) {
  const f = fixtures[i % fixtures.length];
  fs.symlinkSync(path.join(FACES, f), path.join(dir, `${String(i).padStart(5, '0')}-${f}`));
}

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
const child = spawn(process.execPath, [path.join(REPO, 'bin/skinsight.js'), 'analyze', dir, '--quiet', '--workers', String(values.workers)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let done = 0;
let firstAt = 0;
const samples: { done: number; rss: number }[] = [];
let buffered = '';
child.stdout.on('data', (chunk: Buffer) => {
  buffered += chunk.toString();
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    if (!line) continue;
    if (done === 0) firstAt = performance.now();
    done++;
  }
});
const timer = setInterval(() => samples.push({ done, rss: rssMb(child.pid!) }), 250);
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
clearInterval(timer);
const seconds = (performance.now() - firstAt) / 1000;
const at = (fraction: number) => {
  const s = samples.find((x) => x.done >= photos * fraction) ?? samples.at(-1)!;
  return s.rss.toFixed(0);
};
const peak = Math.max(...samples.map((s) => s.rss));
console.log(`skinsight analyze over ${done} photos with ${values.workers} workers: exit ${code}`);
console.log(`throughput after start-up: ${(done / seconds).toFixed(1)} photos/s (total ${(((performance.now() - started) / 1000)).toFixed(1)} s)`);
console.log(`RSS at 10% / 50% / 100%: ${at(0.1)} / ${at(0.5)} / ${at(1)} MB; peak ${peak.toFixed(0)} MB`);
fs.rmSync(dir, { recursive: true, force: true });
