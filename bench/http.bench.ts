/**
 * HTTP benchmark of the scan service, loopback only, with a real photo and the real engine.
 * The server runs as a child process (as in production); this process is the client.
 *
 *   node --import tsx bench/http.bench.ts [--photo faces/obama.jpg] [--workers 2]
 *        [--c1 100] [--c8 400] [--memory 2000] [--cli 200] [--cache] [--base tmp/base] [--quick]
 *        [--profile DIR]
 *
 * Phases (0 skips one): warm-up; `?wait=true` latency at concurrency 1, each upload followed by
 * the same photo through an engine in this process (one intra-op thread), so the service's
 * overhead is (HTTP median − engine median) of the SAME run; throughput and p99 at concurrency 8;
 * `skinsight analyze` over `--cli` copies of the same photo with the same engine threads (the
 * c8 target is a share of that); resident memory of the server over N scans.
 * `--base DIR`: a second server from another checkout (e.g. main: `git archive main | tar -x -C
 * tmp/base`), its c1 uploads alternating with this tree's, for a before/after in one run.
 * `--quick`: c1 30, c8 80, cli 60, no memory phase (a few minutes on 2 cores).
 * `--profile DIR`: the server (this tree's) runs under `node --cpu-prof --cpu-prof-dir DIR`; its
 * main thread's profile (and each engine thread's) is written there when it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/engine/index.ts';
import { accountToken } from '../testkit/http.ts';
import { spawnService } from '../testkit/service-process.ts';
import { linkPhotos, runCli } from './cli-run.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = commandLine({
  options: {
    photo: { type: 'string', default: 'faces/obama.jpg' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    c1: { type: 'string' },
    c8: { type: 'string' },
    memory: { type: 'string' },
    cli: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    base: { type: 'string' },
    profile: { type: 'string' },
    quick: { type: 'boolean', default: false },
    // The same photo is sent again and again: without this flag the result cache is off, so
    // every scan is a real analysis.
    cache: { type: 'boolean', default: false },
  },
});
const preset = args.quick ? { c1: 30, c8: 80, memory: 0, cli: 60 } : { c1: 100, c8: 400, memory: 2000, cli: 200 };
const n = (name: keyof typeof preset) => (args[name] !== undefined ? Number(args[name]) : preset[name]);
const photoPath = path.resolve(ROOT, '../shared/fixtures', args.photo!);
const photo = new Uint8Array(fs.readFileSync(photoPath));
const concurrency = Number(args.concurrency);

const serverEnv = () => ({
  SKINSIGHT_JWT_SECRET: 'bench-secret-0123456789abcdef',
  SKINSIGHT_WORKERS: args.workers!,
  SKINSIGHT_QUEUE_SIZE: '256',
  SKINSIGHT_CACHE: args.cache ? 'memory' : 'off',
  SKINSIGHT_RATE_LIMIT_IP: '1000000',
  SKINSIGHT_RATE_LIMIT_USER: '1000000',
});

async function startServer(dataDir: string) {
  const { proc, url } = await spawnService(dataDir, serverEnv(), { stderr: 'inherit' });
  return { proc, url };
}

/**
 * The same server from another checkout (`--base`), or this one under extra node flags
 * (`--profile`): its own entry, started the same way.
 */
async function startBaseServer(root: string, dataDir: string, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/service/index.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SKINSIGHT_DATA_DIR: dataDir, ...serverEnv() },
    // info, the default level, as spawnService's server: every request's log lines are part of its cost.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.on('message', (m: { type?: string; url?: string }) => m?.type === 'skinsight:ready' && resolve(m.url!));
    proc.once('exit', (code) => reject(new Error(`the ${root} server exited (${code})`)));
  });
  proc.disconnect();
  return { proc, url };
}

/** Resident memory of the server process (its worker threads included), in MiB. */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/**
 * CPU time (ms) of a process's main thread: the event loop, where the service's own work runs
 * (engine threads are other tasks). Less disturbed by other load than wall time. Read from
 * schedstat's first field, the nanoseconds the task ran on a CPU (proc(5); the scheduler's own
 * clock), not stat's utime + stime, which count 10 ms ticks.
 */
function mainThreadCpuMs(pid: number): number {
  const schedstat = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8');
  return Number(schedstat.split(' ')[0]) / 1e6;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Outcome {
  ms: number;
  /** The engine's own time for this image (result.timings_ms.total); the rest is the service's. */
  engineMs: number;
  ok: boolean;
  status: number;
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const round1 = (x: number) => Math.round(x * 10) / 10;

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-bench-'));
  const baseDir = args.base ? fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-bench-base-')) : null;
  const load = [os.loadavg()[0]];
  // With --base both servers start the same way (their stdout to /dev/null), so that neither
  // pays for log lines piped to this process and the other not.
  const server =
    args.profile || args.base
      ? await startBaseServer(ROOT, dataDir, args.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(args.profile)] : [])
      : await startServer(dataDir);
  const other = args.base ? await startBaseServer(path.resolve(args.base), baseDir!) : null;
  const base = server.url;
  try {
    const token = await accountToken(base, 'bench@example.org', 'bench password 1');
    const auth = { authorization: `Bearer ${token}` };
    const otherAuth = other ? { authorization: `Bearer ${await accountToken(other.url, 'bench@example.org', 'bench password 1')}` } : null;

    /** One scan: init, then upload with ?wait=true. The time is the upload's (the one that analyses). */
    async function scanOnce(at = base, headers = auth): Promise<Outcome> {
      const init = await fetch(`${at}/api/v1/scan/init`, { method: 'POST', headers });
      const { scan_id } = (await init.json()) as { scan_id: string };
      const fd = new FormData();
      fd.append('consent', 'true');
      fd.append('file', new Blob([photo]), path.basename(photoPath));
      const t0 = performance.now();
      const res = await fetch(`${at}/api/v1/scan/${scan_id}/upload?wait=true`, { method: 'POST', headers, body: fd });
      const body = (await res.json()) as { status?: string; result?: { timings_ms?: { total?: number } } };
      const ms = performance.now() - t0;
      const engineMs = body.result?.timings_ms?.total ?? NaN;
      return { ms, engineMs, ok: res.status === 200 && body.status === 'completed', status: res.status };
    }

    async function run(n: number, c: number, onProgress?: (done: number) => void) {
      const outcomes: Outcome[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (next < n) {
            next++;
            outcomes.push(await scanOnce());
            onProgress?.(outcomes.length);
          }
        }),
      );
      const wallS = (performance.now() - t0) / 1000;
      const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
      const errors = outcomes.filter((o) => !o.ok);
      const engine = outcomes.map((o) => o.engineMs).filter(Number.isFinite).sort((a, b) => a - b);
      const overhead = outcomes.filter((o) => Number.isFinite(o.engineMs)).map((o) => o.ms - o.engineMs).sort((a, b) => a - b);
      return {
        scans: n,
        concurrency: c,
        scans_per_s: +(n / wallS).toFixed(2),
        median_ms: +percentile(ms, 50).toFixed(1),
        p90_ms: +percentile(ms, 90).toFixed(1),
        p99_ms: +percentile(ms, 99).toFixed(1),
        engine_median_ms: +percentile(engine, 50).toFixed(1),
        // Upload time minus the engine's own time: HTTP, multipart, storage, queue and database.
        service_overhead_median_ms: +percentile(overhead, 50).toFixed(1),
        errors: errors.length,
        error_statuses: [...new Set(errors.map((e) => e.status))],
      };
    }

    const report: Record<string, unknown> = {
      photo: args.photo,
      photo_bytes: photo.length,
      server_workers: Number(args.workers),
      cpus: os.availableParallelism(),
      node: process.version,
    };
    console.error(`warm-up (${args.photo}, ${args.workers} engine workers)…`);
    await run(16, concurrency);

    if (n('c1') > 0) {
      // Each upload, then (alternating, so both see the same load) the same bytes through an
      // engine in this process, then the --base server's upload.
      const engine = await createEngine({ intraOpThreads: 1 });
      for (let i = 0; i < 3; i++) await engine.analyze(photo);
      if (other) for (let i = 0; i < 3; i++) await scanOnce(other.url, otherAuth!);
      const http: Outcome[] = [];
      const baseHttp: Outcome[] = [];
      const engineMs: number[] = [];
      const cpu0 = [mainThreadCpuMs(server.proc.pid!), other ? mainThreadCpuMs(other.proc.pid!) : 0];
      for (let i = 0; i < n('c1'); i++) {
        http.push(await scanOnce());
        const t0 = performance.now();
        await engine.analyze(photo);
        engineMs.push(performance.now() - t0);
        if (other) baseHttp.push(await scanOnce(other.url, otherAuth!));
      }
      const cpuPerScan = (pid: number, from: number) => round1((mainThreadCpuMs(pid) - from) / n('c1'));
      const cpu = [cpuPerScan(server.proc.pid!, cpu0[0]!), other ? cpuPerScan(other.proc.pid!, cpu0[1]!) : NaN];
      await engine.close();
      const summary = (xs: Outcome[]) => {
        const ms = xs.map((o) => o.ms).sort((a, b) => a - b);
        return {
          median_ms: round1(percentile(ms, 50)),
          min_ms: round1(ms[0]!),
          p90_ms: round1(percentile(ms, 90)),
          p99_ms: round1(percentile(ms, 99)),
          // Upload time minus the engine's own stage times (result.timings_ms.total), per request.
          upload_minus_stages_median_ms: round1(median(xs.filter((o) => Number.isFinite(o.engineMs)).map((o) => o.ms - o.engineMs))),
          errors: xs.filter((o) => !o.ok).length,
        };
      };
      const engineSorted = [...engineMs].sort((a, b) => a - b);
      const c1: Record<string, unknown> = {
        scans: n('c1'),
        ...summary(http),
        engine_in_process_median_ms: round1(median(engineMs)),
        engine_in_process_min_ms: round1(engineSorted[0]!),
        service_overhead_median_ms: round1(median(http.map((o) => o.ms)) - median(engineMs)),
        service_overhead_min_ms: round1(Math.min(...http.map((o) => o.ms)) - engineSorted[0]!),
        // Init + upload, per scan, on the server's event loop (schedstat, ns, over the whole phase).
        server_main_thread_cpu_ms_per_scan: cpu[0],
      };
      if (other) c1.base = { ...summary(baseHttp), service_overhead_median_ms: round1(median(baseHttp.map((o) => o.ms)) - median(engineMs)), service_overhead_min_ms: round1(Math.min(...baseHttp.map((o) => o.ms)) - engineSorted[0]!), server_main_thread_cpu_ms_per_scan: cpu[1] };
      report.c1 = c1;
      console.error('c=1', JSON.stringify(report.c1));
    }
    if (n('c8') > 0) {
      // CPU the load generator and the server's event loop take from the same cores as the engine threads (the CLI has neither).
      const client0 = process.cpuUsage();
      const server0 = mainThreadCpuMs(server.proc.pid!);
      const r = await run(n('c8'), concurrency);
      const client = process.cpuUsage(client0);
      report.c8 = {
        ...r,
        client_cpu_ms_per_scan: round1((client.user + client.system) / 1000 / n('c8')),
        server_main_thread_cpu_ms_per_scan: round1((mainThreadCpuMs(server.proc.pid!) - server0) / n('c8')),
      };
      console.error(`c=${concurrency}`, JSON.stringify(report.c8));
    }
    if (n('cli') > 0) {
      // The CLI on the same photo with as many engine threads (the server is idle meanwhile).
      const dir = linkPhotos([photoPath], n('cli'), 'http-cli');
      const cli = await runCli(ROOT, dir, Number(args.workers));
      fs.rmSync(dir, { recursive: true, force: true });
      report.cli = { ...cli, photos_per_s: +cli.photos_per_s.toFixed(2) };
      const c8 = report.c8 as { scans_per_s: number } | undefined;
      if (c8) report.c8_share_of_cli = +(c8.scans_per_s / cli.photos_per_s).toFixed(3);
      console.error('cli', JSON.stringify(report.cli));
    }
    const memN = n('memory');
    if (memN > 0) {
      const samples: { scans: number; rss_mib: number }[] = [{ scans: 0, rss_mib: +rssMiB(server.proc.pid!).toFixed(1) }];
      const every = Math.max(1, Math.floor(memN / 20));
      const r = await run(memN, concurrency, (done) => {
        if (done % every === 0) samples.push({ scans: done, rss_mib: +rssMiB(server.proc.pid!).toFixed(1) });
      });
      const tail = samples.slice(Math.floor(samples.length / 2)).map((s) => s.rss_mib);
      report.memory = {
        ...r,
        rss_first_mib: samples[0].rss_mib,
        rss_last_mib: samples.at(-1)!.rss_mib,
        rss_max_mib: Math.max(...samples.map((s) => s.rss_mib)),
        // Growth over the second half of the run: near zero when memory is flat.
        rss_second_half_growth_mib: +(Math.max(...tail) - tail[0]).toFixed(1),
        samples,
      };
      console.error('memory', JSON.stringify({ ...(report.memory as object), samples: undefined }));
    }
    load.push(os.loadavg()[0]);
    report.load_average_1min = load.map((x) => +x.toFixed(1));
    console.log(JSON.stringify(report, null, 2));
  } finally {
    for (const p of [server.proc, other?.proc]) {
      if (!p) continue;
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
