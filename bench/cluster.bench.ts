/**
 * Distributed-mode load bench, loopback only: scripts/cluster.ts (2 APIs, PostgreSQL, Redis,
 * BullMQ) with 1 or 2 worker processes; closed-loop `?wait=true` uploads of real photos.
 * The result cache is off and every upload differs by a few trailing bytes, so every scan is a
 * real analysis.
 *
 *   node --import tsx bench/cluster.bench.ts --workers 1,2 [--concurrency 8] [--seconds 30]
 *   node --import tsx bench/cluster.bench.ts --soak 600 --rate 6 [--workers 2]
 *
 * Capacity phase: scans/s and latency percentiles per worker count. Soak phase: an open-loop
 * rate (e.g. 80 % of the measured capacity) for N seconds: errors, latency, and the resident
 * memory of every process sampled each 10 s (first vs last minute).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, type Cluster } from '../scripts/cluster.ts';
import { fixture } from '../testkit/fixtures.ts';
import { accountToken } from '../testkit/http.ts';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    engines: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '30' },
    soak: { type: 'string' },
    rate: { type: 'string' },
    models: { type: 'string' },
  },
});
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

async function capacity(cluster: Cluster, concurrency: number, seconds: number) {
  const bases = cluster.apis.map((a) => a.url!);
  const tokens = await Promise.all(bases.map(register));
  // Warm-up: every engine thread has run once.
  await Promise.all(Array.from({ length: 4 }, (_, i) => scan(bases[i % bases.length]!, tokens[i % bases.length]!)));
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
  lat.sort((a, b) => a - b);
  return {
    scans: lat.length,
    errors,
    scans_per_s: Math.round((lat.length / wall) * 100) / 100,
    p50_ms: Math.round(percentile(lat, 50)),
    p90_ms: Math.round(percentile(lat, 90)),
    p99_ms: Math.round(percentile(lat, 99)),
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
const env = { SKINSIGHT_CACHE: 'off', LOG_LEVEL: 'info', SKINSIGHT_WAIT_TIMEOUT_S: '120' };
const modelsDir = args.models ? path.resolve(args.models) : undefined;
if (args.soak) {
  const workers = Number(args.workers.split(',')[0]);
  const cluster = await startCluster({ apis: 2, workers, engines: Number(args.engines), env, modelsDir });
  try {
    console.log(JSON.stringify({ soak: await soak(cluster, Number(args.soak), Number(args.rate ?? 5)) }, null, 2));
  } finally {
    await cluster.stop();
  }
} else {
  for (const workers of args.workers.split(',').map(Number)) {
    const cluster = await startCluster({ apis: 2, workers, engines: Number(args.engines), env, modelsDir });
    try {
      const r = await capacity(cluster, Number(args.concurrency), Number(args.seconds));
      console.log(JSON.stringify({ workers, engines_per_worker: Number(args.engines), concurrency: Number(args.concurrency), ...r }));
    } finally {
      await cluster.stop();
    }
  }
}
