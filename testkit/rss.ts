/**
 * Resident memory of another process, sampled from /proc/PID/status (Linux), for tests and
 * benches that bound what hostile input may cost. `peakMb` is the highest sample seen.
 */
import fs from 'node:fs';

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export interface RssWatch {
  readonly startMb: number;
  peakMb(): number;
  /** Peak minus the start: what the watched period cost at most. */
  growthMb(): number;
  /** Starts over from the current RSS. */
  reset(): void;
  stop(): void;
}

export function watchRss(pid: number, everyMs = 10): RssWatch {
  let start = rssMb(pid);
  let peak = start;
  const sample = () => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process has exited
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    get startMb() {
      return start;
    },
    peakMb: () => (sample(), peak),
    growthMb: () => (sample(), peak - start),
    reset() {
      start = rssMb(pid);
      peak = start;
    },
    stop: () => clearInterval(timer),
  };
}
