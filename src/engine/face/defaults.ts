/**
 * The detect stage's thresholds, in one place. They were chosen on data with
 * `npm run fairness` (recall per UTKFace group against false detections on non-face
 * images); the README's "Face detection" section has the table behind each value.
 */
import type { FaceDetectorOptions } from './detector.ts';

export const FACE_DEFAULTS = {
  /** Minimum BlazeFace score (either range). */
  detectionThreshold: 0.7,
  /** Minimum FaceMesh face-presence score that confirms a detection. */
  meshThreshold: 0.5,
  /** Minimum presence score of the whole-image mesh fallback for tight crops (null: off). */
  fallbackThreshold: 0.9 as number | null,
  /** Padding per edge around the photo for the short-range model, as a fraction of the long side. */
  shortRangePad: 0.4,
  /**
   * Skip the full-range model when the short-range one finds a face at least this fraction of the
   * long side: the full-range model is for the faces below ~1/10 of the side. On the face fixtures
   * the short-range pass fires on faces from 0.24 of the side up (sergey, biden2, obama, obama2,
   * obama_small: ≈ 2.4 ms of CPU instead of ≈ 13 ms for both, measured under load); the smaller
   * faces (0.12–0.21) are left to the full-range model.
   */
  skipFullRangeAbove: 0.1,
  /**
   * Run the short-range letterbox pass before the padded one on photos more elongated than this
   * (long / short side): the same bound as find.ts's FALLBACK_MAX_ASPECT for "not a tight face crop".
   */
  letterboxFirstAbove: 1.6,
  /** Overlap above which two candidates are one face (weighted NMS). */
  iouThreshold: 0.3,
};

/** The detector as the engine loads it; `shortRange: false` is the detect stage before issue #11. */
export function detectorOptions(overrides: Partial<FaceDetectorOptions> = {}): FaceDetectorOptions {
  return {
    scoreThreshold: FACE_DEFAULTS.detectionThreshold,
    iouThreshold: FACE_DEFAULTS.iouThreshold,
    shortRange: true,
    shortRangePad: FACE_DEFAULTS.shortRangePad,
    skipFullRangeAbove: FACE_DEFAULTS.skipFullRangeAbove,
    shortRangeLetterbox: true,
    letterboxFirstAbove: FACE_DEFAULTS.letterboxFirstAbove,
    padChannels: true,
    intraOpThreads: 1,
    ...overrides,
  };
}
