/**
 * One live check of a camera frame: the engine's own face, pose and quality code on the frame
 * (not a look-alike), so the guidance and the server's gate agree: BlazeFace and FaceMesh with
 * the engine's thresholds (FACE_DEFAULTS), the engine's pose, aligned crop and skin mask, and
 * measureQuality with DEFAULT_QUALITY (sharpness, exposure, face size, yaw and pitch; the
 * colour-cast check is left to the server). The
 * engine refines landmarks with three more mesh passes; one is used here, which keeps the rate
 * up and the pose within a degree or two.
 */
import { FACE_DEFAULTS, landmarkBox, meshInRoi, roiFromDetection, roiFromLandmarks, estimatePose, type RgbImage, createMeasureContext, measureQuality, type QualityCode, buildFaceSkin } from '../../../src/engine/browser.ts';
import type { FaceModels } from './face-models.ts';

export interface FrameAnalysis {
  /** Faces the mesh confirmed. */
  faces: number;
  /** The largest face: its landmark box as fractions of the frame, and the gate's inputs. */
  face: {
    box: { x: number; y: number; width: number; height: number };
    /** In the photo's pixels (what the server will judge). */
    sizePx: number;
    pose: { yaw: number; pitch: number; roll: number };
    issues: QualityCode[];
    sharpness: number;
    meanL: number;
  } | null;
  /** Whether this frame ran FaceMesh (false: the tracked landmarks of the frame before were reused). */
  meshed: boolean;
  ms: number;
}

/**
 * Frames from one camera, in order. Like MediaPipe's face mesh in video mode, the face is
 * tracked: the mesh runs on the ROI re-fitted to the previous landmarks, and BlazeFace runs
 * only when the track is lost or every DETECT_EVERY frames (to count faces). While tracked, the
 * mesh runs on every MESH_EVERY-th frame; the frames between reuse its landmarks (pose, box and
 * skin-mask placement at most one frame, ~35 ms, old) but measure light and sharpness on their
 * own pixels. The mesh is the costliest single stage, so this takes a fifth off the mean check:
 * 26.7 → 20.8 ms of CPU per frame in Node on the same TF.js WebAssembly backend (a 480×640
 * frame of biden2.jpg, best of 5 runs of 40 frames, old and new interleaved in one process).
 */
export class FrameAnalyzer {
  private track: Float32Array | null = null;
  private faces = 0;
  private sinceDetect = 0;
  private sinceMesh = 0;

  constructor(private readonly models: FaceModels) {}

  /**
   * `image` is the frame as sent (maybe downscaled); `photoScale` = photo pixels per frame pixel,
   * so the face size is judged as the server will see the photo the camera takes.
   */
  analyze(image: RgbImage, photoScale: number): FrameAnalysis {
    const t0 = performance.now();
    const tracking = this.track !== null && this.sinceDetect < DETECT_EVERY;
    const reuse = tracking && this.sinceMesh + 1 < MESH_EVERY;
    let points = reuse ? this.track : tracking ? this.follow(image, this.track!) : null;
    if (points) this.sinceDetect++;
    else {
      points = this.detect(image);
      this.sinceDetect = 0;
    }
    this.sinceMesh = reuse ? this.sinceMesh + 1 : 0;
    this.track = points;
    const meshed = !reuse;
    if (!points) return { faces: this.faces, face: null, meshed, ms: performance.now() - t0 };

    const pose = estimatePose(points);
    const box = landmarkBox(points);
    const sizePx = Math.max(box.width, box.height) * photoScale;
    const skin = buildFaceSkin(image, points);
    const ctx = createMeasureContext(skin.crop, skin.skin, skin.interOcularPx);
    // No colour-cast check: no instruction fixes it at the camera as surely as the others.
    const { quality } = measureQuality(ctx, { faceSizePx: sizePx, pose, colorCast: false });
    return {
      faces: this.faces,
      face: {
        box: { x: box.x / image.width, y: box.y / image.height, width: box.width / image.width, height: box.height / image.height },
        sizePx,
        pose,
        issues: quality.issues.map((i) => i.code as QualityCode),
        sharpness: quality.sharpness,
        meanL: quality.exposure.mean_L,
      },
      meshed,
      ms: performance.now() - t0,
    };
  }

  /** The mesh on the previous landmarks' ROI; null when the face is gone. */
  private follow(image: RgbImage, previous: Float32Array): Float32Array | null {
    const next = meshInRoi(this.models.mesh, image, roiFromLandmarks(previous));
    return next.score >= FACE_DEFAULTS.meshThreshold ? next.points : null;
  }

  /** BlazeFace, each face confirmed by the mesh (as the engine's confirmFaces), the largest refined once. */
  private detect(image: RgbImage): Float32Array | null {
    this.faces = 0;
    let best: Float32Array | null = null;
    for (const detection of this.models.detect(image)) {
      const first = meshInRoi(this.models.mesh, image, roiFromDetection(detection));
      if (first.score < FACE_DEFAULTS.meshThreshold) continue;
      this.faces++;
      if (!best) {
        const refit = meshInRoi(this.models.mesh, image, roiFromLandmarks(first.points));
        best = refit.score >= first.score * 0.9 ? refit.points : first.points;
      }
    }
    return best;
  }
}

/** Frames between two detector runs while a face is tracked. */
export const DETECT_EVERY = 10;
/** Tracked frames per mesh run (2: every other frame). */
export const MESH_EVERY = 2;
