/**
 * One rule for how much analysis a process runs, the same for `serve` (memory queue) and
 * `skinsight worker`: SKINSIGHT_WORKERS engine threads (default: the CPU cores, one thread per
 * core since each analysis is CPU-bound), and SKINSIGHT_WORKER_CONCURRENCY jobs at once (default:
 * two per engine thread, so a thread never idles while the event loop does a job's I/O: reading
 * the upload, saving the result).
 */
import os from 'node:os';

export interface Sizing {
  /** Engine worker threads in the pool. */
  engineThreads: number;
  /** Jobs handed to the pool at once. */
  jobConcurrency: number;
}

export const JOBS_PER_ENGINE_THREAD = 2;

export function sizing(queue: { workers: number | undefined; workerConcurrency: number | undefined }, cores = os.availableParallelism()): Sizing {
  const engineThreads = Math.max(1, queue.workers ?? cores);
  return { engineThreads, jobConcurrency: queue.workerConcurrency ?? engineThreads * JOBS_PER_ENGINE_THREAD };
}
