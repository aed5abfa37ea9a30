/**
 * TF.js in Node, for the tests only: the WebAssembly backend the web app's capture worker uses,
 * and the FaceMesh TF.js graph model from @vladmandic/human (the reference the engine's ONNX
 * conversion is held to, and what the capture guidance runs). The engine itself does not import TF.js.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { MeshModel } from '../src/engine/face/mesh-model.ts';
import { meshArtifacts, runMeshBatch } from '../src/engine/face/mesh-tfjs.ts';

const require = createRequire(import.meta.url);

let backendReady: Promise<void> | undefined;

/** TF.js' WebAssembly backend, set up once per process. */
export function initTfjsWasm(): Promise<void> {
  backendReady ??= (async () => {
    const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(wasmDir);
    // The Emscripten loader adds process-wide handlers that rethrow every uncaught error
    // (printing its whole source); the test runner owns error handling, so remove them.
    const before = {
      uncaughtException: process.listeners('uncaughtException'),
      unhandledRejection: process.listeners('unhandledRejection'),
    };
    await tf.setBackend('wasm');
    await tf.ready();
    for (const listener of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.includes(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.includes(listener)) process.removeListener('unhandledRejection', listener);
    }
  })();
  return backendReady;
}

/** The package's models folder (its exports hide package.json; its main file sits in dist/). */
export function faceMeshModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
}

/** The TF.js FaceMesh graph model on the WebAssembly backend. */
export async function loadTfjsMesh(): Promise<MeshModel & { dispose(): void }> {
  await initTfjsWasm();
  const dir = faceMeshModelDir();
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'facemesh.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, 'facemesh.bin'));
  const model = await loadGraphModel({ load: async () => meshArtifacts(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)) });
  return {
    run: (crop) => runMeshBatch(model, [crop])[0],
    runBatch: (crops) => runMeshBatch(model, crops),
    dispose: () => model.dispose(),
  };
}
