/** One engine on a worker thread, answering analyze requests from `pool.ts`. */
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { createEngine } from './index.ts';
import { toErrorInfo } from './errors.ts';
import type { AnalyzeOptions, EngineOptions } from './api.ts';
import { resultText, type ResultTextOptions } from './result/text.ts';

const port = parentPort!;
// Parallelism comes from the pool's threads; libvips threads inside each would oversubscribe the cores.
sharp.concurrency(1);
try {
  // Batch sizes go to the pool, which tells its own onBatch (functions do not cross threads).
  const engine = await createEngine({ ...(workerData as EngineOptions), onBatch: (size) => port.postMessage({ type: 'batch', size }) });
  port.on('message', async (msg: { type?: 'close' | 'heap'; id: number; bytes: Uint8Array; options: AnalyzeOptions; text?: ResultTextOptions }) => {
    // Operations and tests: this thread's heap spaces (e.g. the young generation's size).
    if (msg.type === 'heap') {
      port.postMessage({ type: 'heap', spaces: v8.getHeapSpaceStatistics() });
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
