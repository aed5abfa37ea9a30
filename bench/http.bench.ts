/**
 * HTTP benchmark of the scan service, loopback only, with a real photo and the real engine.
 * The server runs as a child process (as in production); this process is only the client.
 *
 *   node --import tsx bench/http.bench.ts [--photo faces/obama.jpg] [--workers 2]
 *        [--c1 100] [--c8 400] [--memory 2000] [--cache]
 *
 * Phases: warm-up; `?wait=true` latency at concurrency 1; throughput and p99 at concurrency 8;
 * resident memory of the server sampled over N scans (0 skips a phase).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { accountToken } from '../testkit/http.ts';
import { spawnService } from '../testkit/service-process.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    photo: { type: 'string', default: 'faces/obama.jpg' },
    workers: { type: 'string', default: String(os.availableParallelism()) },
    c1: { type: 'string', default: '100' },
    c8: { type: 'string', default: '400' },
    memory: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    // The same photo is sent again and again: without this flag the result cache is off, so
    // every scan is a real analysis.
    cache: { type: 'boolean', default: false },
  },
});
const photoPath = path.resolve(ROOT, '../shared/fixtures', args.photo!);
const photo = new Uint8Array(fs.readFileSync(photoPath));
const concurrency = Number(args.concurrency);

async function startServer(dataDir: string) {
  const { proc, url } = await spawnService(
    dataDir,
    {
      SKINSIGHT_JWT_SECRET: 'bench-secret-0123456789abcdef',
      SKINSIGHT_WORKERS: args.workers!,
      SKINSIGHT_QUEUE_SIZE: '256',
      SKINSIGHT_CACHE: args.cache ? 'memory' : 'off',
      SKINSIGHT_RATE_LIMIT_IP: '1000000',
      SKINSIGHT_RATE_LIMIT_USER: '1000000',
    },
    { stderr: 'inherit' },
  );
  return { proc, url };
}

/** Resident memory of the server process (its worker threads included), in MiB. */
function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
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

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-bench-'));
  const server = await startServer(dataDir);
  const base = server.url;
  try {
    const token = await accountToken(base, 'bench@example.org', 'bench password 1');
    const auth = { authorization: `Bearer ${token}` };

    /** One scan: init, then upload with ?wait=true. The time is the upload's (the one that analyses). */
    async function scanOnce(): Promise<Outcome> {
      const init = await fetch(`${base}/api/v1/scan/init`, { method: 'POST', headers: auth });
      const { scan_id } = (await init.json()) as { scan_id: string };
      const fd = new FormData();
      fd.append('consent', 'true');
      fd.append('file', new Blob([photo]), path.basename(photoPath));
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/scan/${scan_id}/upload?wait=true`, { method: 'POST', headers: auth, body: fd });
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

    if (Number(args.c1) > 0) {
      report.c1 = await run(Number(args.c1), 1);
      console.error('c=1', JSON.stringify(report.c1));
    }
    if (Number(args.c8) > 0) {
      report.c8 = await run(Number(args.c8), concurrency);
      console.error(`c=${concurrency}`, JSON.stringify(report.c8));
    }
    const memN = Number(args.memory);
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
    console.log(JSON.stringify(report, null, 2));
  } finally {
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
