/**
 * Garbage collection in an engine pool's worker thread (issue #14): a 1-worker pool analyses a
 * photo (3 warm-ups, then N); the worker's own GC counts and time come from its 'heap' message
 * (pool-worker.ts: a PerformanceObserver on that thread), before and after the N analyses.
 * Also prints the worker's new-space size and this process's peak RSS (VmHWM: the main thread,
 * idle, plus the worker). Heap sizes as the pool's options (0: V8's own).
 *   node --import tsx bench/pool-gc.bench.ts [--runs 40] [--photo obama-1080p.jpg] [--old-space-mb 64] [--semi-space-mb 4]
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { commandLine } from '../testkit/command-line.ts';
import { FACES } from '../testkit/fixtures.ts';
import { createEnginePool, WORKER_OLD_SPACE_MB, WORKER_SEMI_SPACE_MB, type WorkerGcCounts } from '../src/engine/pool.ts';

const { values } = commandLine({ options: { runs: { type: 'string', default: '40' }, photo: { type: 'string', default: 'obama-1080p.jpg' }, 'old-space-mb': { type: 'string', default: String(WORKER_OLD_SPACE_MB) }, 'semi-space-mb': { type: 'string', default: String(WORKER_SEMI_SPACE_MB) } } });
const runs = Number(values.runs);
const oldSpaceMb = Number(values['old-space-mb']);
const semiSpaceMb = Number(values['semi-space-mb']);

const heap = (worker: Worker) =>
  new Promise<{ newSpaceMb: number; gc: WorkerGcCounts }>((resolve) => {
    const listen = (msg: { type: string; gc: WorkerGcCounts; spaces: { space_name: string; space_size: number }[] }) => {
      if (msg.type !== 'heap') return;
      worker.off('message', listen);
      resolve({ newSpaceMb: msg.spaces.find((s) => s.space_name === 'new_space')!.space_size / 1048576, gc: { ...msg.gc } });
    };
    worker.on('message', listen);
    worker.postMessage({ type: 'heap' });
  });

const pool = await createEnginePool({ workers: 1, oldSpaceMb, semiSpaceMb });
const worker = pool.threads()[0];
const bytes = fs.readFileSync(path.join(FACES, values.photo));
for (let i = 0; i < 3; i++) await pool.analyze(bytes);
const before = await heap(worker);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < runs; i++) await pool.analyze(bytes);
const wallMs = (performance.now() - t0) / runs;
const cpu = process.cpuUsage(cpu0);
const after = await heap(worker);
await pool.close();
const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.existsSync('/proc/self/status') ? fs.readFileSync('/proc/self/status', 'utf8') : '')?.[1];
const d = (k: keyof WorkerGcCounts) => after.gc[k] - before.gc[k];
console.log(`${values.photo}, ${runs} analyses, 1 worker, oldSpaceMb ${oldSpaceMb}, semiSpaceMb ${semiSpaceMb}, load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`worker GC per analysis: ${(d('ms') / runs).toFixed(2)} ms; mark-compacts ${d('major')} in ${runs} analyses, scavenges ${d('minor')}, incremental-marking steps ${d('incremental')}`);
console.log(`analysis wall mean ${wallMs.toFixed(1)} ms, process CPU ${((cpu.user + cpu.system) / 1000 / runs).toFixed(1)} ms per analysis; worker new space ${after.newSpaceMb} MB; peak RSS ${hwm ? Math.round(Number(hwm) / 1024) : '?'} MB`);
