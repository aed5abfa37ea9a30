/**
 * Distributed-mode load bench, loopback only: scripts/cluster.ts (2 APIs, PostgreSQL, Redis,
 * BullMQ) with 1 or 2 worker processes; closed-loop `?wait=true` uploads of real photos.
 * The result cache is off and every upload differs by a few trailing bytes, so every scan is a
 * real analysis.
 *
 *   node --import tsx bench/cluster.bench.ts --workers 1,2 [--concurrency 8] [--seconds 30] [--quick]
 *   node --import tsx bench/cluster.bench.ts --soak 600 [--rate 6] [--workers 2]
 *
 * Capacity phase: first the same load against one `serve` process (in-process queue, SQLite,
 * local image store) with as many engine threads as the largest cluster has in total, then
 * scans/s and latency percentiles per worker count, and each cluster's share of the in-process
 * throughput. Soak phase: an open-loop rate (`--rate`; without it, 80 % of a capacity run
 * measured first) for N seconds: errors, latency, and the resident memory of every process
 * sampled each 10 s (first vs last minute). Each capacity run also gives the CPU ms per scan of
 * every part (event loops, engine threads, PostgreSQL backends, Redis; proc-cpu.ts), and what
 * each part takes per second when idle (5 s with no scan, measured just before). The last line on stdout is one JSON object.
 * `--quick`: 15 s capacity runs, workers 2 only; a soak of 60 s unless --soak says otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { startCluster, type Cluster } from '../scripts/cluster.ts';
import { fixture } from '../testkit/fixtures.ts';
import { accountToken } from '../testkit/http.ts';
import { spawnService } from '../testkit/service-process.ts';
import { mainThreadCpuMs, perScan, pidsNamed, postgresBackendCpu, processCpuMs, snapshot, type CpuCounters } from './proc-cpu.ts';

const { values: args } = commandLine({
  options: {
    workers: { type: 'string' },
    engines: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string' },
    soak: { type: 'string' },
    rate: { type: 'string' },
    models: { type: 'string' },
    inprocess: { type: 'boolean', default: true },
    quick: { type: 'boolean', default: false },
  },
  allowNegative: true,
});
args.workers ??= args.quick ? '2' : '1,2';
args.seconds ??= args.quick ? '15' : '30';
const PHOTOS = ['obama.jpg', 'biden.jpg', 'obama2.jpg', 'obama3.jpg', 'biden2.jpg', 'obama-720p.jpg'].map((f) => fixture('faces', f));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

let serial = 0;
/** A photo with a unique trailer after the JPEG end marker: same pixels, different bytes. */
function uniquePhoto(): Buffer {
  const p = PHOTOS[serial % PHOTOS.length]!;
  return Buffer.concat([p, Buffer.from(`skinsight-bench-${serial++}-${Math.random()}`)]);
}

function register(base: string): Promise<string> {
  return accountToken(base, `bench-${Date.now()}-${Math.random()}@example.org`);
}

/** One scan: init + upload with wait. Returns ms, or throws with the status. */
async function scan(base: string, token: string): Promise<number> {
  const t0 = performance.now();
  const init = await fetch(`${base}/api/v1/scan/init`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (init.status !== 201) throw new Error(`init ${init.status}`);
  const { scan_id } = (await init.json()) as { scan_id: string };
  const fd = new FormData();
  fd.append('consent', 'true');
  fd.append('file', new Blob([new Uint8Array(uniquePhoto())]), 'p.jpg');
  const up = await fetch(`${base}/api/v1/scan/${scan_id}/upload?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: fd });
  const body = await up.text();
  if (up.status !== 200) throw new Error(`upload ${up.status} ${body.slice(0, 120)}`);
  return performance.now() - t0;
}

function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

type Procs = { apis: { url: string; proc: { pid?: number } }[]; workers?: { proc: { pid?: number } }[]; databaseUrl?: string };

/**
 * Where the CPU goes, per scan: each API's event loop and its other threads (the engine threads
 * in the in-process mode), each worker's event loop and its engine threads, the PostgreSQL
 * backends of the cluster's database, and Redis (the whole server: other users of it count too).
 */
function cpuCounters(c: Procs): CpuCounters {
  const counters: CpuCounters = {};
  const sum = (pids: number[], f: (pid: number) => number) => () => pids.reduce((a, pid) => a + f(pid), 0);
  const apis = c.apis.map((a) => a.proc.pid!);
  counters.api_event_loops = sum(apis, mainThreadCpuMs);
  counters.api_other_threads = () => sum(apis, processCpuMs)() - sum(apis, mainThreadCpuMs)();
  const workers = (c.workers ?? []).map((w) => w.proc.pid!);
  if (workers.length > 0) {
    counters.worker_event_loops = sum(workers, mainThreadCpuMs);
    counters.worker_other_threads = () => sum(workers, processCpuMs)() - sum(workers, mainThreadCpuMs)();
  }
  if (c.databaseUrl) counters.postgres_backends = postgresBackendCpu(new URL(c.databaseUrl).pathname.slice(1));
  if (workers.length > 0) counters.redis_server_all_clients = sum(pidsNamed('redis-server'), processCpuMs);
  return counters;
}

const IDLE_WINDOW_S = 5;

async function capacity(cluster: Procs, concurrency: number, seconds: number) {
  const bases = cluster.apis.map((a) => a.url!);
  const tokens = await Promise.all(bases.map(register));
  // Warm-up: every engine thread has run once.
  await Promise.all(Array.from({ length: 4 }, (_, i) => scan(bases[i % bases.length]!, tokens[i % bases.length]!)));
  const counters = cpuCounters(cluster);
  // What the parts burn with no scan at all (timers, queue polling, event streams), per second:
  // at a low throughput it is a large share of the per-scan figures below.
  const idle0 = snapshot(counters);
  await new Promise((r) => setTimeout(r, IDLE_WINDOW_S * 1000));
  const idle = perScan(idle0, snapshot(counters), IDLE_WINDOW_S);
  const cpu0 = snapshot(counters);
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      while (performance.now() < end) {
        try {
          lat.push(await scan(bases[i % bases.length]!, tokens[i % bases.length]!));
        } catch (err) {
          errors++;
          console.error(String(err));
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = perScan(cpu0, snapshot(counters), lat.length);
  lat.sort((a, b) => a - b);
  return {
    scans: lat.length,
    errors,
    scans_per_s: Math.round((lat.length / wall) * 100) / 100,
    p50_ms: Math.round(percentile(lat, 50)),
    p90_ms: Math.round(percentile(lat, 90)),
    p99_ms: Math.round(percentile(lat, 99)),
    cpu_ms_per_scan: cpu,
    idle_cpu_ms_per_s: idle,
  };
}

async function soak(cluster: Cluster, seconds: number, rate: number) {
  const bases = cluster.apis.map((a) => a.url!);
  const tokens = await Promise.all(bases.map(register));
  const pids = [...cluster.apis, ...cluster.workers].map((p) => ({ name: `${p.role}${p.index}`, pid: p.proc.pid! }));
  const samples: { t: number; rss: Record<string, number> }[] = [];
  const lat: number[] = [];
  let errors = 0;
  let started = 0;
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  const sampler = setInterval(() => {
    samples.push({ t: Math.round((performance.now() - t0) / 1000), rss: Object.fromEntries(pids.map((p) => [p.name, Math.round(rssMiB(p.pid))])) });
    const done = lat.length;
    console.error(`[soak] t=${samples.at(-1)!.t}s done=${done} errors=${errors} inflight=${inflight.size} rss=${JSON.stringify(samples.at(-1)!.rss)}`);
  }, 10_000);
  // Open loop: start scans at a fixed rate whatever the latency (a closed loop would hide overload).
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (started < due) {
      const i = started++;
      const p = scan(bases[i % bases.length]!, tokens[i % bases.length]!).then(
        (ms) => void lat.push(ms),
        (err) => {
          errors++;
          console.error(String(err));
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(inflight);
  clearInterval(sampler);
  lat.sort((a, b) => a - b);
  const first = samples.slice(0, 6);
  const last = samples.slice(-6);
  const mean = (xs: typeof samples, name: string) => Math.round(xs.reduce((a, s) => a + (s.rss[name] ?? 0), 0) / Math.max(1, xs.length));
  return {
    seconds,
    rate_per_s: rate,
    scans: lat.length,
    errors,
    p50_ms: Math.round(percentile(lat, 50)),
    p99_ms: Math.round(percentile(lat, 99)),
    rss_mib_first_minute_vs_last_minute: Object.fromEntries(pids.map((p) => [p.name, [mean(first, p.name), mean(last, p.name)]])),
  };
}

// Info level: the cluster script waits for the start-up log lines.
// A ?wait=true upload may wait 120 s under overload; idle connections must outlast it (config.ts refuses otherwise).
const env = { SKINSIGHT_CACHE: 'off', LOG_LEVEL: 'info', SKINSIGHT_WAIT_TIMEOUT_S: '120', SKINSIGHT_IDLE_TIMEOUT_S: '180' };
const modelsDir = args.models ? path.resolve(args.models) : undefined;
const engines = Number(args.engines);
const load = [os.loadavg()[0]];
const loadNow = () => +os.loadavg()[0].toFixed(1);

/** The same closed loop against one `serve` process with `threads` engine threads (the in-process mode). */
async function inProcess(threads: number) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-cluster-bench-inproc-'));
  const api = await spawnService(dataDir, {
    ...env,
    SKINSIGHT_WORKERS: String(threads),
    SKINSIGHT_QUEUE_SIZE: '256',
    SKINSIGHT_JWT_SECRET: 'bench-secret-0123456789abcdef',
    SKINSIGHT_RATE_LIMIT_IP: '1000000',
    SKINSIGHT_RATE_LIMIT_USER: '1000000',
    ...(modelsDir ? { SKINSIGHT_MODELS_DIR: modelsDir } : {}),
  });
  try {
    return { engine_threads: threads, ...(await capacity({ apis: [api] }, Number(args.concurrency), Number(args.seconds))), load_average: loadNow() };
  } finally {
    await api.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const report: Record<string, unknown> = { concurrency: Number(args.concurrency), seconds: Number(args.seconds), cpus: os.availableParallelism() };
if (args.soak) {
  const workers = Number(args.workers.split(',')[0]);
  const cluster = await startCluster({ apis: 2, workers, engines, env, modelsDir });
  try {
    let rate = args.rate ? Number(args.rate) : NaN;
    if (!Number.isFinite(rate)) {
      const cap = await capacity(cluster, Number(args.concurrency), Number(args.seconds));
      report.capacity = cap;
      rate = Math.round(cap.scans_per_s * 0.8 * 100) / 100;
      console.error(`capacity ${cap.scans_per_s} scans/s; soak at 80 %: ${rate}/s`);
    }
    report.soak = await soak(cluster, Number(args.soak ?? (args.quick ? 60 : 600)), rate);
  } finally {
    await cluster.stop();
  }
} else {
  const counts = args.workers.split(',').map(Number);
  if (args.inprocess) {
    report.in_process = await inProcess(Math.max(...counts) * engines);
    console.error('in-process', JSON.stringify(report.in_process));
  }
  const runs: Record<string, unknown>[] = [];
  for (const workers of counts) {
    const cluster = await startCluster({ apis: 2, workers, engines, env, modelsDir });
    try {
      const r = await capacity(cluster, Number(args.concurrency), Number(args.seconds));
      const inproc = report.in_process as { scans_per_s: number; engine_threads: number } | undefined;
      const share = inproc && inproc.engine_threads === workers * engines ? { share_of_in_process: +(r.scans_per_s / inproc.scans_per_s).toFixed(3) } : {};
      runs.push({ workers, engines_per_worker: engines, ...r, ...share, load_average: loadNow() });
      console.error('cluster', JSON.stringify(runs.at(-1)));
    } finally {
      await cluster.stop();
    }
  }
  report.cluster = runs;
}
load.push(os.loadavg()[0]);
report.load_average_1min = load.map((x) => +x.toFixed(1));
console.log(JSON.stringify(report));
