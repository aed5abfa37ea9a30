/**
 * Peak RSS of one engine in a process of its own: load it, analyse every face fixture three times,
 * print the process's peak resident set in MB (VmHWM from /proc/self/status, see below). Run by
 * `npm run bench` as a child process, so the bench's other engines and pool do not count.
 *   node --import tsx bench/engine-rss.ts [--json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../src/engine/index.ts';
import { FACES, faceFixtures } from '../testkit/fixtures.ts';

const afterImport = process.memoryUsage().rss;
const engine = await createEngine({});
const afterLoad = process.memoryUsage().rss;
for (let round = 0; round < 3; round++) {
  for (const name of faceFixtures()) await engine.analyze(fs.readFileSync(path.join(FACES, name)));
}
await engine.close();
const mb = (b: number) => Math.round(b / 1048576);
// VmHWM is this process's own peak (its memory map is new at exec). getrusage's maxRSS is not:
// Linux carries it over from the spawning process across fork and exec, so a child of the
// ~800 MB bench reported 428 MB where the same script alone reported 283-303 MB.
const hwmKb = /VmHWM:\s+(\d+) kB/.exec(fs.existsSync('/proc/self/status') ? fs.readFileSync('/proc/self/status', 'utf8') : '')?.[1];
const peakKb = hwmKb ? Number(hwmKb) : process.resourceUsage().maxRSS;
const report = { peak_rss_mb: Math.round(peakKb / 1024), after_imports_mb: mb(afterImport), after_load_mb: mb(afterLoad) };
console.log(process.argv.includes('--json') ? JSON.stringify(report) : `one engine: peak RSS ${report.peak_rss_mb} MB (after imports ${report.after_imports_mb} MB, after model load ${report.after_load_mb} MB)`);
