/**
 * What the landmark stage needs from a FaceMesh model, and how it is fed and read. No Node and no
 * runtime here. The engine runs our ONNX conversion of the weights on onnxruntime-node
 * (facemesh.ts, training/facemesh/convert.py); the web app's live capture guidance
 * (web/src/capture/) runs the TF.js graph model in a browser worker (mesh-tfjs.ts), and the
 * parity test (test/facemesh-parity.test.ts) holds the two to the same outputs.
 */
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
