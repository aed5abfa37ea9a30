/**
 * CPU time of processes and threads from /proc (proc(5): utime and stime, fields 14 and 15 of
 * `stat`, in clock ticks of 1/100 s): where a bench's CPU goes besides the engine threads.
 * CPU time is far less disturbed by other load on the machine than wall time.
 */
import fs from 'node:fs';
import pg from 'pg';

const TICK_MS = 10; // CLK_TCK is 100 on Linux

function ticks(statPath: string): number {
  try {
    const stat = fs.readFileSync(statPath, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0; // the process is gone
  }
}

/** CPU ms of a whole process (all its threads). */
export const processCpuMs = (pid: number) => ticks(`/proc/${pid}/stat`) * TICK_MS;
/** CPU ms of a process's main thread (its event loop, for Node). */
export const mainThreadCpuMs = (pid: number) => ticks(`/proc/${pid}/task/${pid}/stat`) * TICK_MS;

/** Pids whose command name (/proc/PID/comm) is `name`, e.g. redis-server. */
export function pidsNamed(name: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The PostgreSQL backend pids connected to the database of `url` (local server only). */
export async function postgresBackends(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const db = new URL(url).pathname.slice(1);
    const r = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [db]);
    return r.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

/**
 * A counter of the CPU ms of the local PostgreSQL backends serving database `db`, found at every
 * reading by their process titles (`postgres: 15/main: user db host(port) state`, PostgreSQL's
 * default update_process_title), so pg pools' connections opened during a run count too. A
 * backend seen once keeps its last reading after it exits (a gone pid reads 0, which would
 * subtract its work); one that starts and exits between two readings is missed.
 */
export function postgresBackendCpu(db: string): () => number {
  const seen = new Map<number, number>();
  const title = new RegExp(`^postgres: (?:[^:]+: )?\\S+ ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `);
  return () => {
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let cmdline: string;
      try {
        cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!title.test(cmdline)) continue;
      const ms = processCpuMs(Number(d));
      if (ms > 0) seen.set(Number(d), ms);
    }
    let total = 0;
    for (const ms of seen.values()) total += ms;
    return total;
  };
}

/** A snapshot of named CPU counters; `perScan` turns two of them into CPU ms per scan. */
export type CpuCounters = Record<string, () => number>;

export function snapshot(counters: CpuCounters): Record<string, number> {
  return Object.fromEntries(Object.entries(counters).map(([k, f]) => [k, f()]));
}

export function perScan(before: Record<string, number>, after: Record<string, number>, scans: number): Record<string, number> {
  return Object.fromEntries(Object.keys(before).map((k) => [k, Math.round(((after[k]! - before[k]!) / Math.max(1, scans)) * 10) / 10]));
}
