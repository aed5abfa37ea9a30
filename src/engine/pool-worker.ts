/** One engine on a worker thread, answering analyze requests from `pool.ts`. */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { createEngine } from './index.ts';
import { toErrorInfo } from './errors.ts';
import type { AnalyzeOptions, EngineOptions } from './api.ts';
import { resultText, type ResultTextOptions } from './result/text.ts';
import type { WorkerGcCounts } from './pool.ts';

const port = parentPort!;
// Parallelism comes from the pool's threads; libvips threads inside each would oversubscribe the cores.
sharp.concurrency(1);
// This thread's GCs, answered to a 'heap' message (operations and tests: pool.ts heap settings).
const gc: WorkerGcCounts = { major: 0, minor: 0, incremental: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
    gc.ms += entry.duration;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) gc.incremental++;
  }
}).observe({ entryTypes: ['gc'] });
try {
  // Batch sizes go to the pool, which tells its own onBatch (functions do not cross threads).
  const engine = await createEngine({ ...(workerData as EngineOptions), onBatch: (size) => port.postMessage({ type: 'batch', size }) });
  port.on('message', async (msg: { type?: 'close' | 'heap'; id: number; bytes: Uint8Array; options: AnalyzeOptions; text?: ResultTextOptions }) => {
    // Operations and tests: this thread's heap spaces (e.g. the young generation's size).
    if (msg.type === 'heap') {
      port.postMessage({ type: 'heap', spaces: v8.getHeapSpaceStatistics(), gc });
      return;
    }
    if (msg.type === 'close') {
      await engine.close();
      return;
    }
    try {
      const result = await engine.analyze(msg.bytes, msg.options);
      // Asked for text: the caller gets strings (a plain copy) instead of a structured clone of the object.
      if (msg.text) port.postMessage({ type: 'text', id: msg.id, text: resultText(result, msg.text) });
      else port.postMessage({ type: 'result', id: msg.id, result });
    } catch (error) {
      port.postMessage({ type: 'error', id: msg.id, ...toErrorInfo(error) });
    }
  });
  port.postMessage({ type: 'ready', info: engine.info() });
} catch (error) {
  port.postMessage({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}
