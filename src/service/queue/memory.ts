/**
 * In-process job queue: a bounded FIFO with a fixed number of jobs in flight. The CPU work
 * itself runs in the engine's worker threads; this only decides how many analyses are
 * handed to the pool at once, so memory stays bounded however fast uploads arrive.
 */
import {
  holdPlace,
  QueueFullError,
  type EnqueueOptions,
  type FinishedScan,
  type Reservation,
  type JobHandle,
  type JobProcessor,
  type JobQueue,
  type ScanJob,
} from './types.ts';

export interface MemoryQueueOptions {
  /** Jobs waiting plus running before enqueue refuses (→ 503). */
  capacity: number;
  /** Jobs handed to the processor at once. */
  concurrency: number;
  /** Typical seconds per job, for the Retry-After estimate. */
  typicalJobS?: number;
  onError?: (err: unknown, job: ScanJob) => void;
}

interface Entry {
  job: ScanJob;
  resolve: (finished?: FinishedScan | void) => void;
}

export class MemoryJobQueue implements JobQueue {
  readonly capacity: number;
  /** Jobs handed to the processor at once. */
  readonly concurrency: number;
  private readonly typicalJobS: number;
  private readonly waiting: Entry[] = [];
  private running = 0;
  private reserved = 0;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly processor: JobProcessor,
    private readonly options: MemoryQueueOptions,
  ) {
    if (!(options.capacity >= 1) || !(options.concurrency >= 1)) throw new RangeError('capacity and concurrency must be ≥ 1');
    this.capacity = options.capacity;
    this.concurrency = options.concurrency;
    this.typicalJobS = options.typicalJobS ?? 0.5;
  }

  hasRoom(): boolean {
    return !this.closed && this.depth() < this.capacity;
  }

  depth(): number {
    return this.waiting.length + this.running + this.reserved;
  }

  private full(): QueueFullError {
    const waitS = Math.ceil((this.depth() / this.concurrency) * this.typicalJobS);
    return new QueueFullError(Math.max(1, waitS));
  }

  reserve(): Reservation {
    if (!this.hasRoom()) throw this.full();
    this.reserved++;
    return holdPlace(this, () => this.reserved--);
  }

  enqueue(job: ScanJob, options: EnqueueOptions = {}): JobHandle {
    if (this.closed) throw new QueueFullError(5);
    if (!options.force && !this.hasRoom()) throw this.full();
    let resolve!: Entry['resolve'];
    const finished = new Promise<FinishedScan | void>((r) => (resolve = r));
    this.waiting.push({ job, resolve });
    this.pump();
    return { finished };
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift()!;
      this.running++;
      this.run(entry);
    }
    if (this.running === 0 && this.waiting.length === 0) for (const f of this.idle.splice(0)) f();
  }

  private async run(entry: Entry): Promise<void> {
    let finished: FinishedScan | void = undefined;
    try {
      finished = await this.processor(entry.job);
    } catch (err) {
      // The processor records outcomes itself; an escape here is a bug, logged, not fatal.
      this.options.onError?.(err, entry.job);
    } finally {
      this.running--;
      entry.resolve(finished);
      this.pump();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // Waiting jobs stay "processing" in the database; recovery re-queues them at next start.
    for (const e of this.waiting.splice(0)) e.resolve();
    if (this.running > 0) await new Promise<void>((r) => this.idle.push(r));
  }
}
