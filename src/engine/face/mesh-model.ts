/**
 * What the landmark stage needs from a FaceMesh model, how it is fed and read, and how the TF.js
 * graph model runs. No Node here. The engine runs our ONNX conversion of the same weights on
 * onnxruntime-node (facemesh.ts, training/facemesh/convert.py); the web app's live capture
 * guidance (web/src/capture/) runs the TF.js graph model in a browser worker, and the parity
 * test (test/facemesh-parity.test.ts) holds the two to the same outputs.
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

/** A mesh model that runs synchronously (TF.js: the browser's capture guidance). */
export interface MeshModel {
  /** `crop` must be MESH_INPUT × MESH_INPUT RGB. */
  run(crop: RgbImage): RawMesh;
  /** Several crops in one model execution (the mirror-averaged pass). */
  runBatch(crops: RgbImage[]): RawMesh[];
}

/** A mesh model that runs asynchronously (ONNX Runtime: the engine). */
export interface AsyncMeshModel {
  /** Several MESH_INPUT × MESH_INPUT crops in one model execution (batch N). */
  runBatch(crops: RgbImage[]): Promise<RawMesh[]>;
}

/** The model input for N crops: [N, 192, 192, 3] (NHWC), RGB scaled to [0, 1], as FaceMesh was trained. */
export function meshInput(crops: RgbImage[]): Float32Array {
  const plane = MESH_INPUT * MESH_INPUT * 3;
  const input = new Float32Array(plane * crops.length);
  crops.forEach((crop, n) => {
    if (crop.width !== MESH_INPUT || crop.height !== MESH_INPUT) throw new Error(`FaceMesh crop ${crop.width}×${crop.height}, expected ${MESH_INPUT}²`);
    const d = crop.data;
    const base = n * plane;
    for (let i = 0; i < plane; i++) input[base + i] = d[i] / 255;
  });
  return input;
}

/** The model's outputs for N crops (points [N, 1404], scores [N, 1]) split per crop. */
export function splitMesh(points: Float32Array, scores: Float32Array, n: number): RawMesh[] {
  const per = MESH_POINTS * 3;
  return Array.from({ length: n }, (_, i) => ({ points: points.slice(i * per, (i + 1) * per), score: scores[i] }));
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
  const input = meshInput(crops);
  const [points, scores] = tf.tidy(() => {
    const x = tf.tensor4d(input, [crops.length, MESH_INPUT, MESH_INPUT, 3]);
    const [mesh, flag] = model.execute(x, ['Identity_2:0', 'Identity_1:0']) as tf.Tensor[];
    return [mesh.dataSync() as Float32Array, flag.dataSync() as Float32Array];
  });
  return splitMesh(points, scores, crops.length);
}
