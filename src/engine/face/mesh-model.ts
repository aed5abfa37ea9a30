/**
 * What the landmark stage needs from a FaceMesh model, and how the TF.js graph model is fed
 * and read. No Node here: facemesh.ts runs it in the engine, and the web app's live capture
 * guidance (web/src/capture/) runs the same weights the same way in a browser worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { io } from '@tensorflow/tfjs-core';
import type { RgbImage } from '../image.ts';

export const MESH_INPUT = 192;
export const MESH_POINTS = 468;

export interface RawMesh {
  /** 468 × [x, y, z] in crop pixels (z in the same scale as x). */
  points: Float32Array;
  /** Face presence, 0..1. */
  score: number;
}

export interface MeshModel {
  /** `crop` must be MESH_INPUT × MESH_INPUT RGB. */
  run(crop: RgbImage): RawMesh;
  /** Several crops in one model execution (the mirror-averaged pass). */
  runBatch(crops: RgbImage[]): RawMesh[];
}

/** The model as TF.js loads it, from the package's facemesh.json (parsed) and facemesh.bin. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function meshArtifacts(json: any, weights: ArrayBuffer): io.ModelArtifacts {
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs: json.weightsManifest.flatMap((m: { weights: io.WeightsManifestEntry[] }) => m.weights),
    weightData: weights,
  };
}

/** One pass: RGB in [0, 1] in; the 468 points (crop pixels) and the presence score out. */
export function runMesh(model: GraphModel, crop: RgbImage): RawMesh {
  return runMeshBatch(model, [crop])[0];
}

/**
 * Several crops in one model execution (batch N): the graph's per-op dispatch in TF.js costs
 * about as much as the arithmetic of one crop, so a batch of two costs well under two runs.
 */
export function runMeshBatch(model: GraphModel, crops: RgbImage[]): RawMesh[] {
  const plane = MESH_INPUT * MESH_INPUT * 3;
  const input = new Float32Array(plane * crops.length);
  crops.forEach((crop, n) => {
    const d = crop.data;
    const base = n * plane;
    for (let i = 0; i < plane; i++) input[base + i] = d[i] / 255;
  });
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [crops.length, MESH_INPUT, MESH_INPUT, 3]);
    const [mesh, flag] = model.execute(x, ['Identity_2:0', 'Identity_1:0']) as tf.Tensor[];
    const points = mesh.dataSync() as Float32Array;
    const scores = flag.dataSync() as Float32Array;
    const per = MESH_POINTS * 3;
    return crops.map((_, n) => ({ points: points.slice(n * per, (n + 1) * per), score: scores[n] }));
  });
}
