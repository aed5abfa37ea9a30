/**
 * A pool of engines on worker threads, so decoding, inference and image maths never block
 * the caller's event loop. Each worker owns one engine (its own ONNX sessions, TF.js backend);
 * a job goes to the worker with the fewest jobs in flight. A worker that dies is replaced and
 * its in-flight jobs fail with ENGINE_CRASHED rather than hang.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { AnalysisWithShadow, Analyzer, AnalyzeOptions, EngineInfo, EngineOptions } from './api.ts';
import type { AnalysisText, ResultTextOptions } from './result/text.ts';
import { SkinsightError, type ErrorCode } from './errors.ts';
import { parseEngineOptions } from './options.ts';

export interface PoolOptions extends EngineOptions {
  /** Worker threads (default: the number of CPU cores). */
  workers?: number;
  /**
   * The workers' initial old-generation size, in MB (V8's `--initial-old-space-size`): the heap
   * limit that V8 starts incremental marking against. Default WORKER_OLD_SPACE_MB; 0 leaves V8's.
   */
  oldSpaceMb?: number;
  /**
   * The workers' largest semi-space, in MB (V8's `--max-semi-space-size`; the young generation
   * is two of them). Default WORKER_SEMI_SPACE_MB; 0 leaves V8's (16 MB on 64-bit). V8 rounds
   * it down to a power of two (12 gives 8).
   */
  semiSpaceMb?: number;
}

/**
 * Why (bench/README.md "Garbage collection per analysis"): a worker's live heap is about 14 MB and
 * V8 starts incremental marking from a task at `14MB / 37MB` (`--trace-incremental-marking`), so
 * 37-39 of 40 analyses on obama-1080p ended in a mark-compact; with a 64 MB initial old
 * generation, 0-4 of 40. A larger young generation did not help in a worker: its new space
 * already grows to V8's maximum (16 MB semi-spaces) by itself; a smaller one (4 MB) lowers the
 * peak RSS, and with the 64 MB old generation it had no mark-compact in 2 x 40 analyses.
 */
export const WORKER_OLD_SPACE_MB = 64;
export const WORKER_SEMI_SPACE_MB = 4;
/** The same settings as `node` flags, for a process whose main thread runs an engine (`npm run bench`). */
export const WORKER_HEAP_FLAGS = [`--initial-old-space-size=${WORKER_OLD_SPACE_MB}`, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];

export interface EnginePool extends Analyzer {
  readonly size: number;
  analyzeText(bytes: Uint8Array, options?: AnalyzeOptions, text?: ResultTextOptions): Promise<AnalysisText>;
  /** The worker threads now serving (operations and tests: e.g. to stop one mid-job). */
  threads(): Worker[];
  /** Jobs currently in flight across all workers. */
  pending(): number;
  /**
   * Reload the model registry without downtime: workers are replaced one at a time (the fresh
   * one loads the manifest again and is ready before the old one stops taking jobs; the old one
   * finishes its jobs in flight, then exits). Resolves with the new engine info.
   */
  reload(): Promise<EngineInfo>;
}

type Reply =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'fatal'; message: string }
  | { type: 'batch'; size: number }
  | { type: 'result'; id: number; result: AnalysisWithShadow }
  | { type: 'text'; id: number; text: AnalysisText }
  | { type: 'error'; id: number; code: ErrorCode; message: string }
  // The answer to a `{ type: 'heap' }` message that the caller posted to a thread itself.
  | { type: 'heap'; spaces: v8.HeapSpaceInfo[]; gc: WorkerGcCounts };

/** A worker thread's garbage collections since it started (pool-worker.ts). */
export interface WorkerGcCounts { major: number; minor: number; incremental: number; ms: number }

interface Slot {
  worker: Worker;
  info?: EngineInfo;
  inFlight: Map<number, { resolve: (r: AnalysisWithShadow & AnalysisText) => void; reject: (e: Error) => void }>;
}

// Built (dist/*.js): the emitted worker runs as is. From the sources (*.ts under tsx): a shim
// that registers tsx on the new thread first.
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './pool-worker.mjs' : './pool-worker.js', import.meta.url);

export async function createEnginePool(options: PoolOptions = {}): Promise<EnginePool> {
  const size = Math.max(1, options.workers ?? os.availableParallelism());
  const { workers: _workers, oldSpaceMb = WORKER_OLD_SPACE_MB, semiSpaceMb = WORKER_SEMI_SPACE_MB, ...given } = options;
  for (const [name, mb, most] of [['oldSpaceMb', oldSpaceMb, 4096], ['semiSpaceMb', semiSpaceMb, 256]] as const) {
    if (!Number.isInteger(mb) || mb < 0 || mb > most) throw new SkinsightError('INVALID_OPTIONS', `${name} must be an integer from 0 to ${most} MB, got ${String(mb)}`);
  }
  // Checked here once, so a bad option fails the caller instead of every thread's start-up.
  const { logger, onBatch, ...engineOptions } = parseEngineOptions(given);
  let nextId = 1;
  let closed = false;
  let reloading: Promise<EngineInfo> | null = null;

  const spawn = (): Promise<Slot> =>
    new Promise((resolve, reject) => {
      // Worker resourceLimits cannot do this: it sets only maxima (maxOldGenerationSizeMb,
      // maxYoungGenerationSizeMb), not the initial sizes. V8 reads its heap flags when an isolate
      // is created, so a flag set here, before `new Worker` makes the worker's isolate, applies to
      // that worker (measured: the 'heap' message below); the caller's own heap was configured at
      // its start and keeps its sizes (Node's docs: flags set after start may behave
      // unpredictably; heap sizing flags are read only at isolate creation). The flags are
      // process-wide: Workers created later by anyone get them too. Set before every spawn, so
      // replacements and reloads get them even if another pool set other values.
      // 0 is V8's own default for both flags ("size it yourself"), so writing it restores V8's
      // sizes after another pool in this process set others.
      v8.setFlagsFromString(`--initial-old-space-size=${oldSpaceMb}`);
      v8.setFlagsFromString(`--max-semi-space-size=${semiSpaceMb}`);
      const worker = new Worker(WORKER_ENTRY, { workerData: engineOptions });
      const slot: Slot = { worker, inFlight: new Map() };
      let ready = false;
      worker.on('message', (msg: Reply) => {
        if (msg.type === 'ready') {
          ready = true;
          slot.info = msg.info;
          resolve(slot);
        } else if (msg.type === 'fatal') {
          reject(new SkinsightError('INTERNAL', `engine worker failed to start: ${msg.message}`));
        } else if (msg.type === 'batch') {
          onBatch?.(msg.size);
        } else if (msg.type === 'heap') {
          // Read by whoever asked, on the Worker itself.
        } else {
          const job = slot.inFlight.get(msg.id);
          if (!job) return;
          slot.inFlight.delete(msg.id);
          // Each job's promise is typed by the method that made it (analyze: result, analyzeText: text).
          if (msg.type === 'result') job.resolve(msg.result as AnalysisWithShadow & AnalysisText);
          else if (msg.type === 'text') job.resolve(msg.text as AnalysisWithShadow & AnalysisText);
          else job.reject(new SkinsightError(msg.code, msg.message));
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        logger?.error({ err: error.message }, 'engine worker crashed');
      });
      worker.on('exit', (code) => {
        for (const job of slot.inFlight.values()) job.reject(new SkinsightError('ENGINE_CRASHED', `the engine thread stopped (exit code ${code}) during the analysis`));
        slot.inFlight.clear();
        const index = slots.indexOf(slot);
        if (closed || index < 0) return;
        // Replace the dead worker so capacity recovers.
        spawn().then(
          (fresh) => { slots[index] = fresh; },
          (error) => logger?.error({ err: String(error) }, 'could not replace engine worker'),
        );
      });
    });

  const slots: Slot[] = [];
  try {
    slots.push(...(await Promise.all(Array.from({ length: size }, spawn))));
  } catch (error) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw error;
  }
  let engineInfo = slots[0].info!;
  logger?.info({ device: engineInfo.device }, `Using device: ${engineInfo.device}`);
  for (const m of engineInfo.models) {
    if (m.available) logger?.info({ model: `${m.name}@${m.version}` }, `Loaded ${m.task === 'acne_binary' ? 'acne' : 'condition'} model from ${m.name}@${m.version}`);
    else logger?.warn({ task: m.task, reason: m.reason }, `Model for ${m.task} unavailable: ${m.reason}`);
  }

  async function replaceAll(): Promise<EngineInfo> {
    for (let i = 0; i < slots.length; i++) {
      if (closed) break;
      const fresh = await spawn();
      const old = slots[i];
      // From here new jobs go to the fresh worker; the old one is no longer in `slots`, so its
      // exit does not trigger a replacement.
      slots[i] = fresh;
      engineInfo = fresh.info!;
      while (old.inFlight.size > 0) await new Promise((r) => setTimeout(r, 20));
      old.worker.postMessage({ type: 'close' });
      await new Promise((r) => setTimeout(r, 50));
      await old.worker.terminate();
    }
    logger?.info({ models: engineInfo.models.map((m) => `${m.name}@${m.version}:${m.available}`) }, 'model registry reloaded');
    return engineInfo;
  }

  /** One job to the least busy worker; `text` set: it answers the result as text (result/text.ts). */
  function submit(bytes: Uint8Array, analyzeOptions: AnalyzeOptions, text: ResultTextOptions | undefined): Promise<AnalysisWithShadow & AnalysisText> {
    if (closed) return Promise.reject(new SkinsightError('ENGINE_CLOSED', 'The engine pool has been closed.'));
    const slot = slots.reduce((best, s) => (s.inFlight.size < best.inFlight.size ? s : best));
    const id = nextId++;
    // Copy into a buffer of our own and transfer it: the caller's bytes stay untouched.
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Promise((resolve, reject) => {
      slot.inFlight.set(id, { resolve, reject });
      slot.worker.postMessage({ id, bytes: copy, options: analyzeOptions, text }, [copy.buffer]);
    });
  }

  return {
    size,
    threads: () => slots.map((s) => s.worker),
    pending: () => slots.reduce((n, s) => n + s.inFlight.size, 0),
    info: () => engineInfo,
    reload() {
      if (closed) return Promise.reject(new SkinsightError('ENGINE_CLOSED', 'The engine pool has been closed.'));
      // Two reload requests at once share one pass over the workers.
      reloading ??= replaceAll().finally(() => (reloading = null));
      return reloading;
    },
    analyze(bytes: Uint8Array, analyzeOptions: AnalyzeOptions = {}): Promise<AnalysisWithShadow> {
      return submit(bytes, analyzeOptions, undefined);
    },
    analyzeText(bytes: Uint8Array, analyzeOptions: AnalyzeOptions = {}, text: ResultTextOptions = {}): Promise<AnalysisText> {
      return submit(bytes, analyzeOptions, text);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(slots.map(async (s) => {
        s.worker.postMessage({ type: 'close' });
        await new Promise((r) => setTimeout(r, 50));
        await s.worker.terminate();
      }));
    },
  };
}
