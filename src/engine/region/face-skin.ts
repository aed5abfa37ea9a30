/**
 * The first half of stage 3 (skin-regions.ts has the rest): the eye-line-aligned square crop
 * around the face oval and its skin mask, with eyes, brows, lips and nostrils (dilated) left
 * out and any pixel whose colour is far from the face's own skin colour. This is all the
 * quality gate needs; the camera's live guidance (web/src/capture/) runs it on every frame,
 * so it imports nothing that the browser does not need.
 */
import { createMask, type Mask, type Point, type RgbImage } from '../image.ts';
import { cropRoi, imageToRoi, type Roi } from '../face/geometry.ts';
import { FACE_OVAL, LANDMARK, LEFT_BROW, LEFT_EYE, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE } from '../face/topology.ts';
import { dilate, fillPolygon } from './raster.ts';

const NOSTRILS = [64, 98, 97, 2, 326, 327, 294, 1];

/** Side of the aligned crop used by the measures. */
export const MEASURE_CROP = 384;
const CROP_MARGIN = 1.12;

export function landmarkPoint(points: Float32Array, i: number): Point {
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

/** The aligned crop and its skin mask: what the quality gate needs (the capture guidance stops here). */
export interface FaceSkin {
  roi: Roi;
  /** MEASURE_CROP² pixels of the aligned crop. */
  crop: RgbImage;
  skin: Mask;
  /** Landmarks in crop pixels. */
  landmarks: Point[];
  interOcularPx: number;
}

// The intermediate masks of buildFaceSkin, by name: a call runs to its end before the next
// starts (one thread), and none of them is returned or kept.
const scratch = new Map<string, Uint8Array>();
function lent(name: string, n: number): Uint8Array {
  let buf = scratch.get(name);
  if (buf === undefined || buf.length !== n) scratch.set(name, (buf = new Uint8Array(n)));
  else buf.fill(0);
  return buf;
}

export function buildFaceSkin(image: RgbImage, points: Float32Array): FaceSkin {
  const roi = alignedFaceRoi(points);
  const crop = cropRoi(image, roi, MEASURE_CROP);
  const size = MEASURE_CROP;
  const lm: Point[] = [];
  for (let i = 0; i < points.length / 3; i++) lm.push(imageToRoi(roi, size, landmarkPoint(points, i)));
  const poly = (indices: number[]) => indices.map((i) => lm[i]);

  const iod = Math.hypot(lm[LANDMARK.leftEyeOuter].x - lm[LANDMARK.rightEyeOuter].x, lm[LANDMARK.leftEyeOuter].y - lm[LANDMARK.rightEyeOuter].y);

  // Non-skin features, padded so lashes, lid creases, lipstick edges and nostril shadows stay out.
  // These intermediate masks never leave the call: their arrays are lent from call to call.
  const n = size * size;
  const features = { width: size, height: size, data: lent('features', n) };
  fillPolygon(features, poly(RIGHT_EYE));
  fillPolygon(features, poly(LEFT_EYE));
  const eyesAndBrows = dilate(features, iod * 0.03, lent('eyesAndBrows', n), lent('dilateRows', n));
  fillPolygon(eyesAndBrows, poly(RIGHT_BROW));
  fillPolygon(eyesAndBrows, poly(LEFT_BROW));
  // Lips and nostrils drawn into the same mask: their union with the eyes and brows.
  fillPolygon(eyesAndBrows, poly(LIPS_OUTER));
  fillPolygon(eyesAndBrows, poly(NOSTRILS));
  const excluded = dilate(eyesAndBrows, iod * 0.015, lent('excluded', n), lent('dilateRows', n));

  const oval = { width: size, height: size, data: lent('oval', n) };
  fillPolygon(oval, poly(FACE_OVAL));
  // The candidates, oval AND NOT excluded, straight as a pixel list (no mask of them is needed).
  return { roi, crop, skin: skinColorMaskAt(crop, andNotPixels(oval, excluded)), landmarks: lm, interOcularPx: iod };
}

/** Indices of the pixels set in `a` and not in `b`, in raster order (all-zero 4-byte words of `a` skipped). */
function andNotPixels(a: Mask, b: Mask): Int32Array {
  const d = a.data;
  const e = b.data;
  const u32 = d.byteOffset % 4 === 0 ? new Uint32Array(d.buffer, d.byteOffset, d.length >> 2) : null;
  const words = u32 === null ? 0 : u32.length;
  let out = new Int32Array(4096);
  let n = 0;
  const push = (i: number) => {
    if (n === out.length) {
      const grown = new Int32Array(n * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = i;
  };
  for (let q = 0; q < words; q++) {
    if (u32![q] === 0) continue;
    for (let i = 4 * q; i < 4 * q + 4; i++) if (d[i] !== 0 && e[i] === 0) push(i);
  }
  for (let i = words * 4; i < d.length; i++) if (d[i] !== 0 && e[i] === 0) push(i);
  return out.subarray(0, n);
}

/**
 * The pixels of `within` whose chroma (Cb, Cr of ITU-R BT.601 YCbCr) lies near their own median
 * chroma, within 3.5 robust standard deviations (MAD·1.4826), and that are not black.
 * Adapts to every skin tone because the reference is the face itself.
 */
export function skinColorMask(image: RgbImage, within: Mask): Mask {
  // Only pixels inside `within` can be skin: the others are never read.
  return skinColorMaskAt(image, setPixels(within));
}

/** skinColorMask over the candidate pixels `idx` (raster order). */
function skinColorMaskAt(image: RgbImage, idx: Int32Array): Mask {
  const d = image.data;
  const count = idx.length;
  // Chroma quantised to 1/4 level: medians and MADs come from histograms, not sorts.
  const Q = 4;
  const cb = new Uint16Array(count);
  const cr = new Uint16Array(count);
  // Luma above the black level (BT.601 Y'), kept from the first pass so the second reads no pixel.
  const lit = new Uint8Array(count);
  const histCb = new Uint32Array(256 * Q);
  const histCr = new Uint32Array(256 * Q);
  for (let k = 0; k < count; k++) {
    const j = idx[k] * 3;
    const r = d[j], g = d[j + 1], b = d[j + 2];
    const vb = (128 - 0.168736 * r - 0.331264 * g + 0.5 * b) * Q;
    const vr = (128 + 0.5 * r - 0.418688 * g - 0.081312 * b) * Q;
    cb[k] = vb < 0 ? 0 : vb > 256 * Q - 1 ? 256 * Q - 1 : vb;
    cr[k] = vr < 0 ? 0 : vr > 256 * Q - 1 ? 256 * Q - 1 : vr;
    histCb[cb[k]]++;
    histCr[cr[k]]++;
    lit[k] = 0.299 * r + 0.587 * g + 0.114 * b > 20 ? 1 : 0;
  }
  const out = createMask(image.width, image.height);
  if (count < 64) return out;
  const mCb = histMedian(histCb, count);
  const mCr = histMedian(histCr, count);
  const tCb = Math.max(6 * Q, 3.5 * 1.4826 * histMad(histCb, mCb, count));
  const tCr = Math.max(6 * Q, 3.5 * 1.4826 * histMad(histCr, mCr, count));
  const od = out.data;
  for (let k = 0; k < count; k++) {
    od[idx[k]] = lit[k] !== 0 && Math.abs(cb[k] - mCb) <= tCb && Math.abs(cr[k] - mCr) <= tCr ? 1 : 0;
  }
  return out;
}

/** Indices of the set pixels of a mask, in raster order (all-zero 4-byte words skipped). */
function setPixels(mask: Mask): Int32Array {
  const d = mask.data;
  const u32 = d.byteOffset % 4 === 0 ? new Uint32Array(d.buffer, d.byteOffset, d.length >> 2) : null;
  const words = u32 === null ? 0 : u32.length;
  let n = 0;
  for (let q = 0; q < words; q++) if (u32![q] !== 0) for (let i = 4 * q; i < 4 * q + 4; i++) n += d[i] !== 0 ? 1 : 0;
  for (let i = words * 4; i < d.length; i++) n += d[i] !== 0 ? 1 : 0;
  const out = new Int32Array(n);
  let k = 0;
  for (let q = 0; q < words; q++) {
    if (u32![q] === 0) continue;
    for (let i = 4 * q; i < 4 * q + 4; i++) if (d[i] !== 0) out[k++] = i;
  }
  for (let i = words * 4; i < d.length; i++) if (d[i] !== 0) out[k++] = i;
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
