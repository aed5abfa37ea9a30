/**
 * FaceMesh as the TF.js graph model of @vladmandic/human, for the browser (the web app's capture
 * guidance) and the tests; the Node engine runs the ONNX conversion instead (facemesh.ts), so it
 * never loads TF.js. No Node here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { io } from '@tensorflow/tfjs-core';
import type { RgbImage } from '../image.ts';
import { MESH_INPUT, meshInput, splitMesh, type RawMesh } from './mesh-model.ts';

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
