/**
 * `skinsight analyze`: one JSON line per input, in input order. Many files run on a pool
 * of worker threads with a bounded window of files in flight, so memory stays flat
 * however many photos there are.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CliErrorInfo } from '../contract/errors.ts';
import { engineDevice } from '../service/config.ts';
import { toErrorInfo, type AnalysisResult, type Analyzer } from '../engine/api.ts';
import { makeFolder } from '../boot/folders.ts';
import { expandInputs, InputReadError, inputLimitBytes, readInput, type InputFile } from './files.ts';
import { checkModelsDir } from './models-dir.ts';
import { printable } from './printable.ts';
import { renderOverlay } from './overlay.ts';
import { startProgress } from './progress.ts';

export interface AnalyzeCliOptions {
  pretty: boolean;
  overlayDir?: string;
  closeup: boolean;
  workers: number;
  modelsDir?: string;
  detectionThreshold?: number;
  progress: boolean;
}

type Line = { source: string } & (AnalysisResult | { error: CliErrorInfo });

export async function runAnalyze(args: string[], options: AnalyzeCliOptions): Promise<number> {
  const inputs = expandInputs(args);
  if (inputs.length === 0) {
    process.stderr.write('skinsight: no image files found in the given folders.\n');
    return 1;
  }
  checkModelsDir(options.modelsDir);
  if (options.overlayDir) makeFolder(options.overlayDir, '--overlay');
  const maxBytes = inputLimitBytes();

  const engineOptions = { modelsDir: options.modelsDir, detectionThreshold: options.detectionThreshold, device: engineDevice() };
  const workers = Math.min(options.workers, inputs.length);
  let analyzer: Analyzer;
  // More than one photo: engine threads, so even `--workers 1` gets the pool's V8 heap settings
  // (pool.ts WORKER_HEAP_FLAGS: no mark-compact per analysis). One photo: in this thread.
  if (inputs.length > 1) {
    const { createEnginePool } = await import('../engine/pool.ts');
    analyzer = await createEnginePool({ ...engineOptions, workers });
  } else {
    const { createEngine } = await import('../engine/index.ts');
    analyzer = await createEngine(engineOptions);
  }

  const progress = startProgress(inputs.length, options.progress, 'analyze');
  let failures = 0;
  const window = Math.max(2, workers * 2);
  const pending = new Map<number, Promise<Line>>();
  let next = 0;
  const launch = () => {
    while (next < inputs.length && pending.size < window) {
      const i = next++;
      pending.set(i, analyzeOne(analyzer, inputs[i], options, maxBytes));
    }
  };
  try {
    launch();
    for (let i = 0; i < inputs.length; i++) {
      const line = await pending.get(i)!;
      pending.delete(i);
      launch();
      if ('error' in line) {
        failures++;
        // Names may hold newlines or terminal escapes: escaped, so a name cannot forge lines.
        process.stderr.write(`skinsight: ${printable(`${line.source}: ${line.error.code}: ${line.error.message}`)}\n`);
      }
      process.stdout.write(JSON.stringify(line, null, options.pretty ? 2 : undefined) + '\n');
      progress.tick();
    }
  } finally {
    progress.stop();
    await analyzer.close();
  }
  return failures > 0 ? 1 : 0;
}

async function analyzeOne(analyzer: Analyzer, input: InputFile, options: AnalyzeCliOptions, maxBytes: number): Promise<Line> {
  let bytes: Uint8Array;
  try {
    bytes = await readInput(input.path, maxBytes);
  } catch (error) {
    if (!(error instanceof InputReadError)) throw error;
    return { source: input.path, error: { code: error.code, message: error.message } };
  }
  try {
    const result = await analyzer.analyze(bytes, { closeup: options.closeup });
    if (options.overlayDir) {
      const out = path.join(options.overlayDir, input.relative.replace(/\.[^./]+$/, '') + '.overlay.png');
      makeFolder(path.dirname(out), '--overlay');
      fs.writeFileSync(out, await renderOverlay(bytes, result));
    }
    return { source: input.path, ...result };
  } catch (error) {
    return { source: input.path, error: toErrorInfo(error) };
  }
}
