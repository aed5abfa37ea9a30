/**
 * The Analyzer an API process uses in distributed mode: it runs no engine itself. Synchronous
 * analyses (`POST /api/v1/analyze`) go to the workers through a BullMQ queue and come back as
 * the job's return value; engine info (readiness, model versions) is what the live workers
 * publish in Redis; a registry reload is broadcast to every worker. Outcomes, errors included,
 * come back as structured data (analyze-job.ts).
 */
import { QueueEvents, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SkinsightError, type AnalysisResult, type Analyzer, type AnalyzeOptions, type EngineInfo } from '../../engine/api.ts';
import { ANALYZE_JOB_ATTEMPTS, fromOutcome, type AnalyzeJobData, type AnalyzeJobOutcome } from './analyze-job.ts';
import { ANALYZE_QUEUE, apiConnection } from './bullmq.ts';

/** Workers write their engine info here every few seconds; older entries mean a dead worker. */
export const enginesKey = (prefix: string) => `${prefix}:engines`;
export const controlChannel = (prefix: string) => `${prefix}:control`;
export const ENGINE_INFO_TTL_MS = 15_000;


export class RemoteAnalyzer implements Analyzer {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private latest: { info: EngineInfo; at: number; workers: number } | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.redis = apiConnection(url);
    this.queue = new Queue(ANALYZE_QUEUE, { connection: this.redis, prefix });
    this.queue.on('error', () => {});
    this.events = new QueueEvents(ANALYZE_QUEUE, { connection: { url, maxRetriesPerRequest: null } as never, prefix });
    this.events.on('error', () => {});
    this.timer = setInterval(() => void this.refresh(), 2000);
    this.timer.unref();
  }

  /** Resolves once a live worker has published its engine info (start-up waits for this). */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.refresh();
      if (this.latest) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async refresh(): Promise<void> {
    try {
      const all = await this.redis.hgetall(enginesKey(this.prefix));
      const live = Object.values(all)
        .map((v) => JSON.parse(v) as { info: EngineInfo; at: number })
        .filter((e) => Date.now() - e.at < ENGINE_INFO_TTL_MS)
        .sort((a, b) => b.at - a.at);
      this.latest = live[0] ? { ...live[0], workers: live.length } : null;
    } catch {
      // Redis away: keep the last view until it is too old.
      if (this.latest && Date.now() - this.latest.at > ENGINE_INFO_TTL_MS) this.latest = null;
    }
  }

  /** Live worker processes (as of the last refresh). */
  workers(): number {
    return this.latest?.workers ?? 0;
  }

  info(): EngineInfo {
    // Thrown, not faked: /health/ready then answers 503 until a worker is up.
    if (!this.latest) throw new SkinsightError('ENGINE_CLOSED', 'no live analysis worker');
    return this.latest.info;
  }

  async analyze(bytes: Uint8Array, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    const data: AnalyzeJobData = { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), options };
    const job = await this.queue.add('analyze', data, { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 }, attempts: ANALYZE_JOB_ATTEMPTS });
    let outcome: AnalyzeJobOutcome;
    try {
      outcome = (await job.waitUntilFinished(this.events, this.timeoutMs)) as AnalyzeJobOutcome;
    } catch (err) {
      // No outcome: the tries ran out on retryable failures, the workers died, or the wait timed out.
      throw new SkinsightError('INTERNAL', err instanceof Error && err.message ? err.message : 'the analysis failed', { cause: err });
    }
    return fromOutcome(outcome);
  }

  /** Ask every worker to reload its model registry; resolves with how many received it. */
  async reload(): Promise<number> {
    return this.redis.publish(controlChannel(this.prefix), 'reload');
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([this.queue.close(), this.events.close()]);
    this.redis.disconnect();
  }
}
