/**
 * The distributed job queue: BullMQ on Redis. API processes add jobs (the scan id only; the
 * upload is in the shared ImageStore, the state in the shared database); `skinsight worker`
 * processes take them (worker.ts).
 *
 * Durability: the database row is the truth, Redis only schedules. A job's id is its scan id, so
 * adding it twice is a no-op; a sweeper re-adds scans left in `processing` whose job is gone
 * (Redis restarted without its data, an add failed while Redis was away). A worker that dies
 * stops renewing its job's lock; BullMQ's stalled-job check hands the job to another worker.
 *
 * `?wait=true`: a waiting request does not poll the row. It listens for its job's `completed`
 * or `failed` event (one QueueEvents stream per API process, fanned out by job id) and reads
 * the row once then; a slow re-read every WAIT_SAFETY_MS covers an event missed while Redis was away.
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { ScanOutcomes } from '../outcomes.ts';
import type { ScanRepo } from '../storage/scans.ts';
import { holdPlace, QueueFullError, type EnqueueOptions, type FinishedScan, type JobHandle, type JobQueue, type Reservation, type ScanJob } from './types.ts';

export const SCAN_QUEUE = 'scans';
/** A waiting request re-reads its row at least this often, events or not. */
const WAIT_SAFETY_MS = 1000;
export const ANALYZE_QUEUE = 'analyze';

export interface BullQueueOptions {
  url: string;
  prefix: string;
  capacity: number;
  attempts: number;
  scans: ScanRepo;
  log: FastifyBaseLogger;
  /** How long a waiting `?wait=true` request polls the row at most. */
  waitTimeoutMs: number;
  sweepIntervalMs: number;
  clock: () => Date;
  /** Saves (and announces) each scan the sweeper marks failed. */
  outcomes: ScanOutcomes;
}

/** The connection an API-side Queue uses: commands fail fast while Redis is away (the sweeper retries). */
export function apiConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // ioredis reconnects by itself; failures surface on each command
  return redis;
}

/** Options every scan job gets: retries with backoff, finished jobs dropped, failures kept a while. */
export function scanJobOptions(attempts: number) {
  return {
    attempts,
    backoff: { type: 'exponential' as const, delay: 1000 },
    removeOnComplete: true,
    removeOnFail: { count: 1000 },
  };
}

export class BullMqJobQueue implements JobQueue {
  readonly capacity: number;
  readonly queue: Queue;
  private readonly redis: Redis;
  private readonly events: QueueEvents;
  private readonly eventsRedis: Redis;
  /** Waiting requests by job (scan) id, woken by the job's completed/failed event. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private counted = 0;
  private addedSinceCount = 0;
  private reserved = 0;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private sweeping = false;

  constructor(private readonly o: BullQueueOptions) {
    this.capacity = o.capacity;
    this.redis = apiConnection(o.url);
    this.queue = new Queue(SCAN_QUEUE, { connection: this.redis, prefix: o.prefix, defaultJobOptions: scanJobOptions(o.attempts) });
    this.queue.on('error', () => {});
    // QueueEvents blocks on XREAD: a connection of its own that never gives up a command.
    this.eventsRedis = new Redis(o.url, { maxRetriesPerRequest: null });
    this.eventsRedis.on('error', () => {});
    this.events = new QueueEvents(SCAN_QUEUE, { connection: this.eventsRedis, prefix: o.prefix });
    this.events.on('error', () => {});
    this.events.on('completed', ({ jobId }) => this.wake(jobId));
    this.events.on('failed', ({ jobId }) => this.wake(jobId));
    const refresh = setInterval(() => void this.refreshDepth(), 500);
    const sweep = setInterval(() => void this.sweep(), o.sweepIntervalMs);
    refresh.unref();
    sweep.unref();
    this.timers.push(refresh, sweep);
    void this.refreshDepth();
  }

  /** Jobs waiting or running across the cluster (refreshed twice a second) plus what this process added since. */
  depth(): number {
    return this.counted + this.addedSinceCount + this.reserved;
  }

  hasRoom(): boolean {
    return !this.closed && this.depth() < this.capacity;
  }

  private async refreshDepth(): Promise<void> {
    try {
      const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
      this.counted = Object.values(c).reduce((a, b) => a + b, 0);
      this.addedSinceCount = 0;
    } catch {
      // Redis away: keep the last count; uploads still go to the database and the sweeper.
    }
  }

  reserve(): Reservation {
    if (!this.hasRoom()) throw new QueueFullError(Math.max(1, Math.ceil(this.depth() / 4)));
    this.reserved++;
    return holdPlace(this, () => this.reserved--);
  }

  enqueue(job: ScanJob, options: EnqueueOptions = {}): JobHandle {
    if (this.closed) throw new QueueFullError(5);
    if (!options.force && !this.hasRoom()) throw new QueueFullError(Math.max(1, Math.ceil(this.depth() / 4)));
    this.addedSinceCount++;
    // Only the id travels: bytes are in the shared image store.
    this.add(job.scanId).catch((err) => this.o.log.warn({ err: String(err), scanId: job.scanId }, 'could not queue the scan now; the sweeper will'));
    const scanId = job.scanId;
    let finished: Promise<FinishedScan | void> | undefined;
    const wait = () => this.waitForRow(scanId);
    // Polled lazily: only a `?wait=true` request looks at `finished`.
    return {
      get finished() {
        return (finished ??= wait());
      },
    };
  }

  private add(scanId: string) {
    return this.queue.add('scan', { scanId }, { jobId: scanId });
  }

  private wake(jobId: string): void {
    const set = this.waiters.get(jobId);
    if (!set) return;
    this.waiters.delete(jobId);
    for (const f of set) f();
  }

  /** Settles at the job's next completed/failed event, or after ms; cancel() settles it now. */
  private nextEvent(jobId: string, ms: number): { settled: Promise<void>; cancel: () => void } {
    let cancel!: () => void;
    const settled = new Promise<void>((resolve) => {
      let set = this.waiters.get(jobId);
      if (!set) this.waiters.set(jobId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      cancel = done;
    });
    return { settled, cancel };
  }

  /**
   * Resolves once the row has left `processing`, with that row (the request answers from it
   * instead of reading it again), or with nothing after the wait timeout or when the row is
   * gone. The next event is listened for before each read, so an event that lands while the
   * row is being read is not missed.
   */
  private async waitForRow(scanId: string): Promise<FinishedScan | void> {
    const deadline = Date.now() + this.o.waitTimeoutMs;
    const listen = () => this.nextEvent(scanId, Math.max(0, Math.min(WAIT_SAFETY_MS, deadline - Date.now())));
    let next = listen();
    try {
      while (Date.now() < deadline && !this.closed) {
        await next.settled;
        next = listen();
        const scan = await this.o.scans.get(scanId);
        if (!scan) return;
        if (scan.status !== 'processing') return { scan };
      }
    } finally {
      next.cancel();
    }
  }

  /** Re-add scans stuck in processing whose job Redis no longer has (dedup by job id makes this safe). */
  async sweep(): Promise<number> {
    if (this.sweeping || this.closed) return 0;
    this.sweeping = true;
    let readded = 0;
    try {
      const before = new Date(this.o.clock().getTime() - this.o.sweepIntervalMs).toISOString();
      for (const scan of await this.o.scans.listProcessingBefore(before, 200)) {
        const existing = await this.queue.getJob(scan.id);
        if (existing) {
          // A job that used all its tries and whose failure was not recorded: record it now.
          if (await existing.isFailed()) {
            await this.o.outcomes.fail(scan.id, 'INTERNAL', existing.failedReason || 'the analysis failed after retries');
          }
          continue;
        }
        await this.add(scan.id);
        readded++;
      }
      if (readded > 0) this.o.log.warn({ readded }, 'sweeper: re-queued scans whose job was lost');
    } catch (err) {
      this.o.log.warn({ err: String(err) }, 'sweeper: Redis or the database is unavailable; will retry');
    } finally {
      this.sweeping = false;
    }
    return readded;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const id of [...this.waiters.keys()]) this.wake(id);
    await Promise.all([this.queue.close().catch(() => {}), this.events.close().catch(() => {})]);
    this.redis.disconnect();
    this.eventsRedis.disconnect();
  }
}
