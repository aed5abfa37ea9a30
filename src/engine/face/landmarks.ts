/**
 * Stage 2b: from a detection to 468 landmarks in image pixels.
 * MediaPipe's face landmark graph: a square ROI 1.5× the detection box, rotated so the
 * eyes are level, then one refinement pass with the ROI re-fitted to the landmarks
 * themselves (same 1.5× scale, rotation from the outer eye corners 33 and 263).
 */
import type { RgbImage } from '../image.ts';
import type { FaceDetection } from './blazeface.ts';
import { FaceMesh, MESH_INPUT, MESH_POINTS } from './facemesh.ts';
import { cropRoi, roiToImage, type Roi } from './geometry.ts';
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

export function roiFromLandmarks(points: Float32Array): Roi {
  const r = LANDMARK.rightEyeOuter * 3;
  const l = LANDMARK.leftEyeOuter * 3;
  const angle = Math.atan2(points[l + 1] - points[r + 1], points[l] - points[r]);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Bounding box of the landmarks in the rotated frame.
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  for (let i = 0; i < MESH_POINTS; i++) {
    const x = points[i * 3];
    const y = points[i * 3 + 1];
    const u = x * cos + y * sin;
    const v = -x * sin + y * cos;
    if (u < minU) minU = u;
    if (u > maxU) maxU = u;
    if (v < minV) minV = v;
    if (v > maxV) maxV = v;
  }
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  return {
    cx: cu * cos - cv * sin,
    cy: cu * sin + cv * cos,
    size: Math.max(maxU - minU, maxV - minV) * ROI_SCALE,
    angle,
  };
}

export function meshInRoi(mesh: FaceMesh, image: RgbImage, roi: Roi): FaceLandmarks {
  const raw = mesh.run(cropRoi(image, roi, MESH_INPUT));
  const points = new Float32Array(MESH_POINTS * 3);
  const zScale = roi.size / MESH_INPUT;
  for (let i = 0; i < MESH_POINTS; i++) {
    const p = roiToImage(roi, MESH_INPUT, { x: raw.points[i * 3], y: raw.points[i * 3 + 1] });
    points[i * 3] = p.x;
    points[i * 3 + 1] = p.y;
    points[i * 3 + 2] = raw.points[i * 3 + 2] * zScale;
  }
  return { points, score: raw.score, roi };
}

/** Refines a first pass (made from the detection) with the ROI re-fitted to its landmarks. */
export function locateLandmarks(mesh: FaceMesh, image: RgbImage, face: FaceDetection, firstPass?: FaceLandmarks): FaceLandmarks {
  const first = firstPass ?? meshInRoi(mesh, image, roiFromDetection(face));
  const second = meshInRoi(mesh, image, roiFromLandmarks(first.points));
  return second.score >= first.score * 0.9 ? second : first;
}
