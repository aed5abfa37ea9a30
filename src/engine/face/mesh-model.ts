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
  /** A ready model input (`meshInput`'s layout, `batch` crops) in one model execution. */
  runInput(input: Float32Array, batch: number): Promise<RawMesh[]>;
}

/** One crop's pixels in the model input: each 8-bit value v as v / 255 (the float32 of it). */
export const MESH_INPUT_SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** The model input for N crops: [N, 192, 192, 3] (NHWC), RGB scaled to [0, 1], as FaceMesh was trained. */
export function meshInput(crops: RgbImage[]): Float32Array {
  const plane = MESH_INPUT * MESH_INPUT * 3;
  const input = new Float32Array(plane * crops.length);
  crops.forEach((crop, n) => {
    if (crop.width !== MESH_INPUT || crop.height !== MESH_INPUT) throw new Error(`FaceMesh crop ${crop.width}×${crop.height}, expected ${MESH_INPUT}²`);
    const d = crop.data;
    const base = n * plane;
    for (let i = 0; i < plane; i++) input[base + i] = MESH_INPUT_SCALE[d[i]];
  });
  return input;
}

/**
 * `meshInput([crop])`, or `meshInput([crop, mirror(crop)])` when `mirrored`, in one pass over the
 * crop: each pixel is written to its place in the first plane and, mirrored (x → 191 − x), to the
 * second. The same values as building the flipped crop first (test/landmark-input.test.ts).
 */
export function meshInputOf(crop: RgbImage, mirrored: boolean, out?: Float32Array): Float32Array {
  if (crop.width !== MESH_INPUT || crop.height !== MESH_INPUT) throw new Error(`FaceMesh crop ${crop.width}×${crop.height}, expected ${MESH_INPUT}²`);
  const plane = MESH_INPUT * MESH_INPUT * 3;
  // `out` (a lent buffer) is written in full: every value of each plane below.
  if (out !== undefined && out.length !== (mirrored ? 2 : 1) * plane) throw new Error(`FaceMesh input buffer of ${out.length}, expected ${(mirrored ? 2 : 1) * plane}`);
  const input = out ?? new Float32Array(mirrored ? 2 * plane : plane);
  const d = crop.data;
  const row = MESH_INPUT * 3;
  for (let y = 0, i = 0; y < MESH_INPUT; y++) {
    // The mirrored pixel of (x, y) is (191 − x, y) in the second plane.
    let m = plane + y * row + row - 3;
    for (let x = 0; x < MESH_INPUT; x++, i += 3, m -= 3) {
      const r = MESH_INPUT_SCALE[d[i]], g = MESH_INPUT_SCALE[d[i + 1]], b = MESH_INPUT_SCALE[d[i + 2]];
      input[i] = r;
      input[i + 1] = g;
      input[i + 2] = b;
      if (mirrored) {
        input[m] = r;
        input[m + 1] = g;
        input[m + 2] = b;
      }
    }
  }
  return input;
}

/** The model's outputs for N crops (points [N, 1404], scores [N, 1]) split per crop. */
export function splitMesh(points: Float32Array, scores: Float32Array, n: number): RawMesh[] {
  const per = MESH_POINTS * 3;
  return Array.from({ length: n }, (_, i) => ({ points: points.slice(i * per, (i + 1) * per), score: scores[i] }));
}
