/**
 * The job queue between the API and the analysis workers. The in-process queue is the
 * default; a Redis/BullMQ queue can implement the same interface for the distributed mode
 * (jobs then carry only the scan id and workers read the upload from the ImageStore).
 */
import { statusOf } from '../../contract/errors.ts';
import type { Scan } from '../storage/scans.ts';

export interface ScanJob {
  scanId: string;
  /** The upload's bytes, when the worker runs in this process (saves re-reading the file). */
  bytes?: Uint8Array;
}

/**
 * What a job hands back to a request waiting on it (`?wait=true`): the row as it was saved, and,
 * from an in-process job, the result's JSON text with its geometry (what the response carries),
 * so the request neither re-reads the row nor re-joins the geometry. A distributed queue's
 * waiter hands back the finished row it read on the job's event, without a text.
 */
export interface FinishedScan {
  scan: Scan;
  responseResultJson?: string;
}

export type JobProcessor = (job: ScanJob) => Promise<FinishedScan | void>;

export interface JobHandle {
  /**
   * Settles when the job has been processed (the scan row then holds the outcome), with the
   * finished scan when the job ran in this process and completed, or the finished row a
   * distributed waiter already read; else (timed out, row gone) the caller reads the row.
   */
  finished: Promise<FinishedScan | void>;
}

export interface EnqueueOptions {
  /** Accept even when full (crash recovery must not drop a scan). */
  force?: boolean;
}

/** A place held in the queue while the upload is stored, so the job is never refused after that. */
export interface Reservation {
  submit(job: ScanJob): JobHandle;
  release(): void;
}

/**
 * A place held in a queue: `onRelease` gives it back once, whether the job is submitted
 * (then queued past the size check, since its place was already counted) or abandoned.
 */
export function holdPlace(queue: Pick<JobQueue, 'enqueue'>, onRelease: () => void): Reservation {
  let held = true;
  const release = () => {
    if (held) onRelease();
    held = false;
  };
  return {
    submit: (job) => {
      release();
      return queue.enqueue(job, { force: true });
    },
    release,
  };
}

export interface JobQueue {
  /** Accept a job or throw QueueFullError; never blocks. */
  enqueue(job: ScanJob, options?: EnqueueOptions): JobHandle;
  /** Hold a place or throw QueueFullError. */
  reserve(): Reservation;
  /** Whether one more job would be accepted now. */
  hasRoom(): boolean;
  /** Jobs waiting plus running. */
  depth(): number;
  readonly capacity: number;
  /** Stop taking jobs and wait for the running ones. */
  close(): Promise<void>;
}

export class QueueFullError extends Error {
  readonly code = 'QUEUE_FULL';
  readonly statusCode = statusOf(this.code);
  /** Seconds a client should wait before trying again. */
  readonly retryAfterS: number;

  constructor(retryAfterS: number) {
    super('the analysis queue is full; retry later');
    this.name = 'QueueFullError';
    this.retryAfterS = retryAfterS;
  }
}
