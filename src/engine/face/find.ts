/**
 * Detect stage: which faces are in the photo, and which one is analysed.
 *  1. Both BlazeFace ranges (detector.ts) propose faces.
 *  2. FaceMesh's face-presence score confirms each one (BlazeFace alone fires on a cat's face).
 *  3. When nothing is confirmed and the photo could be a tight face crop (roughly square), the
 *     mesh runs on the whole image, then once more on a ROI re-fitted to its own landmarks; the
 *     face is accepted only when both passes pass a stricter presence threshold. Its landmarks
 *     are then refined like a detected face's (landmarks.ts).
 */
import type { RgbImage } from '../image.ts';
import type { FaceDetection } from './blazeface.ts';
import type { FaceDetector } from './detector.ts';
import type { FaceMesh } from './facemesh.ts';
import { meshInRoiAsync, roiFromDetection, roiFromLandmarks, type FaceLandmarks } from './landmarks.ts';

export interface FindOptions {
  /** Minimum detector score. */
  detectionThreshold: number;
  /** Minimum FaceMesh presence score to confirm a detection. */
  meshThreshold: number;
  /** Minimum presence score of the whole-image fallback (both passes); null turns the fallback off. */
  fallbackThreshold: number | null;
}

/** The whole-image fallback only runs on photos at most this elongated (long side / short side). */
export const FALLBACK_MAX_ASPECT = 1.6;
/**
 * The fallback's first ROI: centred on the image, this many times its long side, so a face that
 * overflows the frame lands at about the size FaceMesh expects. Measured on 100 UTKFace portraits
 * cut to their central 65 % (short-range pad 0.4): 1.2 → 85 % found (detector or fallback),
 * 1.5 → 90 %, 2.0 → 97 %, with still no false detection on the fairness negatives.
 */
export const FALLBACK_ROI_SCALE = 2.0;

export interface FoundFace {
  detection: FaceDetection;
  landmarks: FaceLandmarks;
  /** `detector`: a BlazeFace detection confirmed by the mesh; `mesh`: the whole-image fallback. */
  via: 'detector' | 'mesh';
}

export interface FoundFaces {
  /** The largest confirmed face, or null (NO_FACE). */
  chosen: FoundFace | null;
  /** How many faces were confirmed. */
  count: number;
}

export async function findFaces(detector: FaceDetector, mesh: FaceMesh, image: RgbImage, options: FindOptions): Promise<FoundFaces> {
  return confirmFaces(mesh, image, await detector.detect(image, options.detectionThreshold), options);
}

/** Steps 2 and 3, on the detector's faces (largest first). */
export async function confirmFaces(mesh: FaceMesh, image: RgbImage, detections: FaceDetection[], options: FindOptions): Promise<FoundFaces> {
  let chosen: FoundFace | null = null;
  let count = 0;
  for (const detection of detections) {
    const landmarks = await meshInRoiAsync(mesh, image, roiFromDetection(detection));
    if (landmarks.score < options.meshThreshold) continue;
    count++;
    chosen ??= { detection, landmarks, via: 'detector' };
  }
  if (chosen || options.fallbackThreshold === null) return { chosen, count };

  const fallback = await wholeImageMesh(mesh, image, options.fallbackThreshold);
  return fallback ? { chosen: fallback, count: 1 } : { chosen: null, count: 0 };
}

async function wholeImageMesh(mesh: FaceMesh, image: RgbImage, threshold: number): Promise<FoundFace | null> {
  const { width, height } = image;
  if (Math.max(width, height) / Math.min(width, height) > FALLBACK_MAX_ASPECT) return null;
  const first = await meshInRoiAsync(mesh, image, { cx: width / 2, cy: height / 2, size: Math.max(width, height) * FALLBACK_ROI_SCALE, angle: 0 });
  if (first.score < threshold) return null;
  const landmarks = await meshInRoiAsync(mesh, image, roiFromLandmarks(first.points));
  if (landmarks.score < threshold) return null;
  return { detection: detectionFromLandmarks(landmarks.points), landmarks, via: 'mesh' };
}

/**
 * The fallback has no detector box: the landmarks' bounding box stands in for it, with
 * score 0 (the detector did not fire) and the eyes, nose and mouth as keypoints.
 */
function detectionFromLandmarks(points: Float32Array): FaceDetection {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < points.length; i += 3) {
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  const p = (i: number) => ({ x: points[i * 3], y: points[i * 3 + 1] });
  // Eye centres ≈ midpoints of the eye corners; 1 nose tip, 13 upper lip centre, 234/454 face edges.
  const mid = (a: number, b: number) => ({ x: (p(a).x + p(b).x) / 2, y: (p(a).y + p(b).y) / 2 });
  return {
    x: x0,
    y: y0,
    width: x1 - x0,
    height: y1 - y0,
    score: 0,
    keypoints: [mid(33, 133), mid(263, 362), p(1), p(13), p(234), p(454)],
  };
}
