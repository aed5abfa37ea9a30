/**
 * Stage 2b: from a detection to 468 landmarks in image pixels.
 * MediaPipe's face landmark graph: a square ROI 1.5× the detection box, rotated so the
 * eyes are level, then one refinement pass with the ROI re-fitted to the landmarks
 * themselves (same 1.5× scale, rotation from the outer eye corners 33 and 263).
 *
 * The refinement pass also runs the mesh on the mirrored crop and averages it, point by
 * mirrored point, with the plain one (test-time flip augmentation). FaceMesh alone is not
 * flip-equivariant (a flipped photo moves points by 3–10 % of the eye distance); the average
 * is, exactly, once its ROI is, and a ROI re-fitted to landmarks does not depend on where the
 * detector's box fell, so a border or a tighter crop no longer moves the landmarks either.
 */
import type { RgbImage } from '../image.ts';
import type { FaceDetection } from './blazeface-decode.ts';
import { MESH_INPUT, MESH_POINTS, meshInputOf, type AsyncMeshModel, type MeshModel, type RawMesh } from './mesh-model.ts';
import { cropRoi, type Roi } from './geometry.ts';
import { MESH_MIRROR } from './mirror.ts';
import { LANDMARK } from './topology.ts';

const ROI_SCALE = 1.5;

export interface FaceLandmarks {
  /** 468 × [x, y, z] in image pixels (z: depth, same scale as x, negative towards the camera). */
  points: Float32Array;
  /** Face-presence score of the mesh model, 0..1. */
  score: number;
  /** The ROI of the final pass. */
  roi: Roi;
}

export function roiFromDetection(face: FaceDetection): Roi {
  const [rightEye, leftEye] = face.keypoints;
  return {
    cx: face.x + face.width / 2,
    cy: face.y + face.height / 2,
    size: Math.max(face.width, face.height) * ROI_SCALE,
    angle: Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x),
  };
}

/**
 * The ROI re-fitted to landmarks: MediaPipe's size (1.5× the landmarks' extent in the eye-aligned
 * frame) and rotation, but centred on the landmarks' centroid instead of their bounding box's
 * centre. The box's centre hangs on the two most extreme points (the noisiest, on the face
 * outline); the mean of 468 points barely moves. On 53 tight crops this cut the worst landmark
 * shift under a border from 3.4 % to 2.3 % of the photo side, and the worst pose change under a
 * 10 % tighter crop from 6.4° to 4.4°.
 */
export function roiFromLandmarks(points: Float32Array): Roi {
  const r = LANDMARK.rightEyeOuter * 3;
  const l = LANDMARK.leftEyeOuter * 3;
  const angle = Math.atan2(points[l + 1] - points[r + 1], points[l] - points[r]);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Extent and centroid of the landmarks in the rotated frame.
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity, sumU = 0, sumV = 0;
  for (let i = 0; i < MESH_POINTS; i++) {
    const x = points[i * 3];
    const y = points[i * 3 + 1];
    const u = x * cos + y * sin;
    const v = -x * sin + y * cos;
    if (u < minU) minU = u;
    if (u > maxU) maxU = u;
    if (v < minV) minV = v;
    if (v > maxV) maxV = v;
    sumU += u;
    sumV += v;
  }
  const cu = sumU / MESH_POINTS;
  const cv = sumV / MESH_POINTS;
  return {
    cx: cu * cos - cv * sin,
    cy: cu * sin + cv * cos,
    size: Math.max(maxU - minU, maxV - minV) * ROI_SCALE,
    angle,
  };
}

/** The model inputs for one ROI: its crop, and the mirrored crop when `mirrored` (one batch). */
export function roiCrops(image: RgbImage, roi: Roi, mirrored = false): RgbImage[] {
  const crop = cropRoi(image, roi, MESH_INPUT);
  return mirrored ? [crop, flipCrop(crop)] : [crop];
}

/** The crop's pixels between cropRoi and the model input (used and overwritten synchronously, never across an await). */
const scratchCrop = new Uint8Array(MESH_INPUT * MESH_INPUT * 3);

/**
 * `meshInput(roiCrops(image, roi, mirrored))` without the intermediate images: the crop is cut
 * into one reused buffer and written, with its mirror, into the model input in one pass.
 */
export function roiInput(image: RgbImage, roi: Roi, mirrored = false, out?: Float32Array): Float32Array {
  return meshInputOf(cropRoi(image, roi, MESH_INPUT, scratchCrop), mirrored, out);
}

/**
 * Model inputs lent to one mesh execution at a time (0.44 MB for one crop, 0.88 MB for the mirrored
 * batch; 1.7 MB of garbage per analysis otherwise, bench/README.md "Garbage collection"). ONNX
 * Runtime reads the input while the run is in flight, so a buffer is taken for the run and given
 * back after it: analyses interleaved on one engine each hold their own. Each list keeps at most a
 * few buffers (more only while that many runs are in flight at once).
 */
const freeInputs: Record<1 | 2, Float32Array[]> = { 1: [], 2: [] };
const KEEP_INPUTS = 4;
function takeInput(batch: 1 | 2): Float32Array {
  return freeInputs[batch].pop() ?? new Float32Array(batch * MESH_INPUT * MESH_INPUT * 3);
}
function giveInput(batch: 1 | 2, buf: Float32Array): void {
  if (freeInputs[batch].length < KEEP_INPUTS) freeInputs[batch].push(buf);
}

/** The landmarks in image pixels from the mesh's outputs on `roiCrops(image, roi, …)`. */
export function landmarksInRoi([raw, flipped]: RawMesh[], roi: Roi): FaceLandmarks {
  let score = raw.score;
  const local = raw.points;
  if (flipped) {
    // Point j of the flipped crop is point MESH_MIRROR[j] of the face, at x → MESH_INPUT − x.
    for (let j = 0; j < MESH_POINTS; j++) {
      const i = MESH_MIRROR[j] * 3;
      local[i] = (local[i] + MESH_INPUT - flipped.points[j * 3]) / 2;
      local[i + 1] = (local[i + 1] + flipped.points[j * 3 + 1]) / 2;
      local[i + 2] = (local[i + 2] + flipped.points[j * 3 + 2]) / 2;
    }
    score = (score + flipped.score) / 2;
  }
  // geometry.ts roiToImage, point by point, with the same expressions (the same floats) and no
  // object per point.
  const points = new Float32Array(MESH_POINTS * 3);
  const s = roi.size / MESH_INPUT;
  const half = MESH_INPUT / 2;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  for (let i = 0; i < MESH_POINTS * 3; i += 3) {
    const u = (local[i] - half) * s;
    const v = (local[i + 1] - half) * s;
    points[i] = roi.cx + u * cos - v * sin;
    points[i + 1] = roi.cy + u * sin + v * cos;
    points[i + 2] = local[i + 2] * s;
  }
  return { points, score, roi };
}

/** One mesh execution on a ROI, synchronously (TF.js: the web app's capture guidance). */
export function meshInRoi(mesh: MeshModel, image: RgbImage, roi: Roi, mirrored = false): FaceLandmarks {
  return landmarksInRoi(mesh.runBatch(roiCrops(image, roi, mirrored)), roi);
}

/** One mesh execution on a ROI (ONNX Runtime: the engine). */
export async function meshInRoiAsync(mesh: AsyncMeshModel, image: RgbImage, roi: Roi, mirrored = false): Promise<FaceLandmarks> {
  const batch = mirrored ? 2 : 1;
  const input = takeInput(batch);
  try {
    return landmarksInRoi(await mesh.runInput(roiInput(image, roi, mirrored, input), batch), roi);
  } finally {
    giveInput(batch, input);
  }
}

function flipCrop(crop: RgbImage): RgbImage {
  const { width: w, height: h, data } = crop;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + x) * 3;
      const to = (y * w + (w - 1 - x)) * 3;
      out[to] = data[from];
      out[to + 1] = data[from + 1];
      out[to + 2] = data[from + 2];
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Refines a first pass (made from the detection): one plain pass on the ROI re-fitted to its
 * landmarks, then a mirror-averaged pass on the ROI re-fitted to those. Each re-fit forgets more
 * of where the detector's box fell; on 53 tight crops (test/face-landmarks.test.ts measures a
 * subset) this pair halved the landmark shift caused by a border, against one mirrored pass alone.
 */
export async function locateLandmarks(mesh: AsyncMeshModel, image: RgbImage, face: FaceDetection, firstPass?: FaceLandmarks): Promise<FaceLandmarks> {
  const first = firstPass ?? (await meshInRoiAsync(mesh, image, roiFromDetection(face)));
  const refit = await meshInRoiAsync(mesh, image, roiFromLandmarks(first.points));
  const base = refit.score >= first.score * 0.9 ? refit : first;
  const final = await meshInRoiAsync(mesh, image, roiFromLandmarks(base.points), true);
  return final.score >= base.score * 0.9 ? final : base;
}

/** Bounding box of the landmarks in image pixels (the face size the quality gate judges). */
export function landmarkBox(points: Float32Array): { x: number; y: number; width: number; height: number } {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < MESH_POINTS; i++) {
    const x = points[i * 3];
    const y = points[i * 3 + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
