/**
 * Stage 3: the face region. From the landmarks, an eye-line-aligned square crop around
 * the face oval (instead of the seed's fixed 20–80 % box), and polygon masks of the skin
 * regions in that crop. Every region excludes eyes, brows, lips and nostrils (dilated
 * outlines) and any pixel whose colour is far from the face's own skin colour (hair,
 * glasses, shadows, background).
 *
 * Region outlines use MediaPipe canonical-mesh indices (see topology.ts), chosen by
 * drawing the indexed mesh on a frontal test face.
 */
import { createMask, type Mask, type Point, type RgbImage } from '../image.ts';
import { cropRoi, imageToRoi, type Roi } from '../face/geometry.ts';
import {
  FACE_OVAL,
  LANDMARK,
  LEFT_BROW,
  LEFT_EYE,
  LIPS_OUTER,
  RIGHT_BROW,
  RIGHT_EYE,
} from '../face/topology.ts';
import { SKIN_REGIONS, WRINKLE_ZONES, type MeasureInput, type SkinRegionName, type WrinkleZoneName } from '../measures/types.ts';
import { dilate, fillPolygon, intersect, polygonMask, polylineBand, subtract } from './raster.ts';

/** Outlines of the skin regions (subject's left/right). */
export const REGION_OUTLINES: Record<SkinRegionName, number[]> = {
  forehead: [103, 67, 109, 10, 338, 297, 332, 334, 296, 336, 9, 107, 66, 105],
  right_cheek: [116, 117, 118, 119, 100, 142, 203, 206, 216, 207, 187, 147, 123],
  left_cheek: [345, 346, 347, 348, 329, 371, 423, 426, 436, 427, 411, 376, 352],
  nose: [6, 412, 343, 355, 360, 344, 440, 275, 4, 45, 220, 115, 131, 126, 114, 188],
  chin: [106, 182, 83, 18, 313, 406, 335, 431, 395, 175, 170, 211],
  under_eye_right: [25, 110, 24, 23, 22, 26, 112, 121, 120, 119, 118, 117, 111],
  under_eye_left: [255, 339, 254, 253, 252, 256, 341, 350, 349, 348, 347, 346, 340],
};
const NOSTRILS = [64, 98, 97, 2, 326, 327, 294, 1];
/** Nasolabial folds run from beside the nostril wing to beside the mouth corner. */
const NASOLABIAL_RIGHT = [203, 206, 216, 212];
const NASOLABIAL_LEFT = [423, 426, 436, 432];

/** Side of the aligned crop used by the measures. */
export const MEASURE_CROP = 384;
const CROP_MARGIN = 1.12;

export interface FaceRegions {
  /** The crop's region in image pixels. */
  roi: Roi;
  measure: MeasureInput;
  /** Region outlines in image pixels (for drawing). */
  outlines: Record<SkinRegionName, Point[]>;
}

function landmarkPoint(points: Float32Array, i: number): Point {
  return { x: points[i * 3], y: points[i * 3 + 1] };
}

/** Square ROI around the face oval, rotated so the outer eye corners are level. */
export function alignedFaceRoi(points: Float32Array): Roi {
  const r = landmarkPoint(points, LANDMARK.rightEyeOuter);
  const l = landmarkPoint(points, LANDMARK.leftEyeOuter);
  const angle = Math.atan2(l.y - r.y, l.x - r.x);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  for (const i of FACE_OVAL) {
    const p = landmarkPoint(points, i);
    const u = p.x * cos + p.y * sin;
    const v = -p.x * sin + p.y * cos;
    minU = Math.min(minU, u);
    maxU = Math.max(maxU, u);
    minV = Math.min(minV, v);
    maxV = Math.max(maxV, v);
  }
  const cu = (minU + maxU) / 2;
  const cv = (minV + maxV) / 2;
  return { cx: cu * cos - cv * sin, cy: cu * sin + cv * cos, size: Math.max(maxU - minU, maxV - minV) * CROP_MARGIN, angle };
}

export function buildFaceRegions(image: RgbImage, points: Float32Array): FaceRegions {
  const roi = alignedFaceRoi(points);
  const crop = cropRoi(image, roi, MEASURE_CROP);
  const size = MEASURE_CROP;
  const lm: Point[] = [];
  for (let i = 0; i < points.length / 3; i++) lm.push(imageToRoi(roi, size, landmarkPoint(points, i)));
  const poly = (indices: number[]) => indices.map((i) => lm[i]);

  const iod = Math.hypot(lm[LANDMARK.leftEyeOuter].x - lm[LANDMARK.rightEyeOuter].x, lm[LANDMARK.leftEyeOuter].y - lm[LANDMARK.rightEyeOuter].y);

  // Non-skin features, padded so lashes, lid creases, lipstick edges and nostril shadows stay out.
  const features = createMask(size, size);
  fillPolygon(features, poly(RIGHT_EYE));
  fillPolygon(features, poly(LEFT_EYE));
  const eyesAndBrows = dilate(features, iod * 0.03);
  fillPolygon(eyesAndBrows, poly(RIGHT_BROW));
  fillPolygon(eyesAndBrows, poly(LEFT_BROW));
  const mouthAndNose = createMask(size, size);
  fillPolygon(mouthAndNose, poly(LIPS_OUTER));
  fillPolygon(mouthAndNose, poly(NOSTRILS));
  const excluded = dilate(unionOf(eyesAndBrows, mouthAndNose), iod * 0.015);

  const oval = polygonMask(size, size, poly(FACE_OVAL));
  const candidate = subtract(oval, excluded);
  const skin = skinColorMask(crop, candidate);

  const regions = {} as Record<SkinRegionName, Mask>;
  for (const name of SKIN_REGIONS) regions[name] = intersect(polygonMask(size, size, poly(REGION_OUTLINES[name])), skin);

  const zones = {} as Record<WrinkleZoneName, Mask>;
  zones.forehead = regions.forehead;
  zones.under_eye = unionOf(regions.under_eye_left, regions.under_eye_right);
  zones.crows_feet = intersect(crowsFeet(size, lm, iod), skin);
  zones.nasolabial = intersect(
    unionOf(polylineBand(size, size, poly(NASOLABIAL_RIGHT), iod * 0.07), polylineBand(size, size, poly(NASOLABIAL_LEFT), iod * 0.07)),
    skin,
  );
  for (const z of WRINKLE_ZONES) if (!zones[z]) throw new Error(`wrinkle zone ${z} missing`);

  const outlines = {} as Record<SkinRegionName, Point[]>;
  for (const name of SKIN_REGIONS) outlines[name] = REGION_OUTLINES[name].map((i) => landmarkPoint(points, i));

  return { roi, measure: { image: crop, skin, regions, wrinkleZones: zones, interOcularPx: iod, landmarks: lm }, outlines };
}

/** Beside each outer eye corner, where crow's feet run: the crop is eye-aligned, so boxes are axis-aligned. */
function crowsFeet(size: number, lm: Point[], iod: number): Mask {
  const mask = createMask(size, size);
  const r = lm[LANDMARK.rightEyeOuter];
  const l = lm[LANDMARK.leftEyeOuter];
  const box = (x0: number, x1: number, y: number) => [
    { x: x0, y: y - 0.15 * iod },
    { x: x1, y: y - 0.15 * iod },
    { x: x1, y: y + 0.22 * iod },
    { x: x0, y: y + 0.22 * iod },
  ];
  fillPolygon(mask, box(r.x - 0.4 * iod, r.x - 0.06 * iod, r.y));
  fillPolygon(mask, box(l.x + 0.06 * iod, l.x + 0.4 * iod, l.y));
  return mask;
}

function unionOf(a: Mask, b: Mask): Mask {
  const out = new Uint8Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] | b.data[i];
  return { width: a.width, height: a.height, data: out };
}

/**
 * The pixels of `within` whose chroma (Cb, Cr of ITU-R BT.601 YCbCr) lies near their own median
 * chroma, within 3.5 robust standard deviations (MAD·1.4826), and that are not black.
 * Adapts to every skin tone because the reference is the face itself.
 */
export function skinColorMask(image: RgbImage, within: Mask): Mask {
  const n = image.width * image.height;
  const d = image.data;
  // Chroma quantised to 1/4 level: medians and MADs come from histograms, not sorts.
  const Q = 4;
  const cb = new Uint16Array(n);
  const cr = new Uint16Array(n);
  const histCb = new Uint32Array(256 * Q);
  const histCr = new Uint32Array(256 * Q);
  let samples = 0;
  for (let i = 0; i < n; i++) {
    if (!within.data[i]) continue;
    const r = d[i * 3], g = d[i * 3 + 1], b = d[i * 3 + 2];
    const vb = (128 - 0.168736 * r - 0.331264 * g + 0.5 * b) * Q;
    const vr = (128 + 0.5 * r - 0.418688 * g - 0.081312 * b) * Q;
    cb[i] = vb < 0 ? 0 : vb > 256 * Q - 1 ? 256 * Q - 1 : vb;
    cr[i] = vr < 0 ? 0 : vr > 256 * Q - 1 ? 256 * Q - 1 : vr;
    histCb[cb[i]]++;
    histCr[cr[i]]++;
    samples++;
  }
  const out = createMask(image.width, image.height);
  if (samples < 64) return out;
  const mCb = histMedian(histCb, samples);
  const mCr = histMedian(histCr, samples);
  const tCb = Math.max(6 * Q, 3.5 * 1.4826 * histMad(histCb, mCb, samples));
  const tCr = Math.max(6 * Q, 3.5 * 1.4826 * histMad(histCr, mCr, samples));
  // Only pixels inside `within` can be skin: the others are never tested.
  for (let i = 0; i < n; i++) {
    if (!within.data[i]) continue;
    const y = 0.299 * d[i * 3] + 0.587 * d[i * 3 + 1] + 0.114 * d[i * 3 + 2];
    out.data[i] = Math.abs(cb[i] - mCb) <= tCb && Math.abs(cr[i] - mCr) <= tCr && y > 20 ? 1 : 0;
  }
  return out;
}

function histMedian(hist: Uint32Array, total: number): number {
  let acc = 0;
  for (let v = 0; v < hist.length; v++) {
    acc += hist[v];
    if (acc * 2 >= total) return v;
  }
  return hist.length - 1;
}

/** Median absolute deviation from `m`, from the same histogram. */
function histMad(hist: Uint32Array, m: number, total: number): number {
  const dev = new Uint32Array(hist.length);
  for (let v = 0; v < hist.length; v++) dev[Math.abs(v - m)] += hist[v];
  return histMedian(dev, total);
}
