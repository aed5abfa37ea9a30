/**
 * The runtime-free half of BlazeFace (blazeface.ts runs the model on ONNX Runtime): the model
 * variants, the letterbox view, the input tensor and the decoding of the raw outputs. Kept free
 * of Node so the web app's live capture guidance (web/src/capture/) decodes the same weights
 * the same way in the browser.
 *
 * Anchor layout and decoding follow MediaPipe's SSD anchor options (face_detection_front.pbtxt,
 * face_detection_back.pbtxt): 4 layers, strides s/2s/2s/2s (s = 8 front, 16 back), fixed anchor
 * size, offset 0.5 → 16·16·2 + 8·8·6 = 896 anchors; box and keypoint offsets are in input pixels.
 */
import type { Point, RgbImage } from '../image.ts';

const KEYPOINTS = 6; // right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion

export interface FaceDetection {
  /** Box in image pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  /** The six BlazeFace keypoints in image pixels, in the order above. */
  keypoints: Point[];
}

export interface BlazeFaceVariant {
  name: string;
  file: string;
  /** Square input side in pixels. */
  input: number;
  /** Stride of the first anchor layer; the other three share twice that stride. */
  stride: number;
}

export const SHORT_RANGE: BlazeFaceVariant = { name: 'blazeface_front_128', file: 'face_detection_front_128x128_barracuda.onnx', input: 128, stride: 8 };
export const FULL_RANGE: BlazeFaceVariant = { name: 'blazeface_back_256', file: 'face_detection_back_256x256_barracuda.onnx', input: 256, stride: 16 };

/**
 * The square of the image the model sees: `side` image pixels centred on (cx, cy). Where it
 * reaches past the photo, the input is padded with black (constant padding, as MediaPipe's
 * letterbox), so a face that fills the frame or is cut by an edge looks like a smaller face
 * with a border.
 */
export interface DetectionView {
  cx: number;
  cy: number;
  side: number;
}

/** The letterbox view of the whole image, widened by `pad` × the long side on every edge. */
export function paddedView(image: { width: number; height: number }, pad: number): DetectionView {
  return { cx: image.width / 2, cy: image.height / 2, side: Math.max(image.width, image.height) * (1 + 2 * pad) };
}

export function buildAnchors(variant: BlazeFaceVariant): Float32Array {
  const anchors: number[] = [];
  const layers = [
    { grid: variant.input / variant.stride, perCell: 2 },
    { grid: variant.input / (variant.stride * 2), perCell: 6 },
  ];
  for (const { grid, perCell } of layers) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let k = 0; k < perCell; k++) anchors.push((x + 0.5) / grid, (y + 0.5) / grid);
      }
    }
  }
  return Float32Array.from(anchors);
}

/** Input pixel (u, v) ↔ image pixel ((u − offX) / scale, (v − offY) / scale). */
interface ViewTransform {
  scale: number;
  offX: number;
  offY: number;
}

function viewTransform(variant: BlazeFaceVariant, view: DetectionView): ViewTransform {
  const n = variant.input;
  const scale = n / view.side;
  return { scale, offX: n / 2 - view.cx * scale, offY: n / 2 - view.cy * scale };
}

/** The model input for `view` of `image`: n×n×3 (NHWC), RGB in [-1, 1]. */
export function blazeFaceInput(image: RgbImage, variant: BlazeFaceVariant, view: DetectionView): Float32Array {
  const { scale, offX, offY } = viewTransform(variant, view);
  return resample(image, variant.input, scale, offX, offY);
}

/**
 * Every anchor scoring at least `minScore`, decoded into image pixels (not yet merged).
 * `scores`: 896 logits; `boxes`: 896 × 16 regressors, both in anchor order (the two output
 * layers concatenated).
 */
export function decodeCandidates(
  scores: Float32Array,
  boxes: Float32Array,
  anchors: Float32Array,
  variant: BlazeFaceVariant,
  view: DetectionView,
  minScore: number,
): FaceDetection[] {
  const n = variant.input;
  const { scale, offX, offY } = viewTransform(variant, view);
  const found: FaceDetection[] = [];
  const minLogit = Math.log(minScore / (1 - minScore));
  const toImage = (u: number, v: number): Point => ({ x: (u - offX) / scale, y: (v - offY) / scale });
  for (let i = 0; i < scores.length; i++) {
    const logit = Math.max(-100, Math.min(100, scores[i]));
    if (logit < minLogit) continue;
    const r = i * 16;
    const ax = anchors[i * 2] * n;
    const ay = anchors[i * 2 + 1] * n;
    const cx = ax + boxes[r];
    const cy = ay + boxes[r + 1];
    const w = boxes[r + 2];
    const h = boxes[r + 3];
    const topLeft = toImage(cx - w / 2, cy - h / 2);
    const keypoints: Point[] = [];
    for (let k = 0; k < KEYPOINTS; k++) keypoints.push(toImage(ax + boxes[r + 4 + k * 2], ay + boxes[r + 5 + k * 2]));
    found.push({ x: topLeft.x, y: topLeft.y, width: w / scale, height: h / scale, score: 1 / (1 + Math.exp(-logit)), keypoints });
  }
  return found;
}

/**
 * The n×n model input, RGB in [-1, 1]: input pixel (u, v) samples image pixel
 * ((u - offX) / scale, (v - offY) / scale); outside the photo it is black (-1).
 * When shrinking by more than 2×, taps² samples per pixel are averaged (taps outside the photo
 * count as black, like the padding) to avoid aliasing.
 *
 * The sampled columns and rows are found once per axis, and only those inside the photo are
 * kept, so the per-pixel loop has no bounds checks; rows or columns with none are plain black.
 * The sum of the taps is an integer (0 … 255·taps²), so its value in the input is read from a
 * table of `(sum / taps²) / 127.5 − 1`, the same float32 the per-pixel expression gives
 * (test/landmark-input.test.ts holds it to that definition). About a third of the per-pass time
 * (0.5 ms of ≈ 2 ms) was this loop before (bench/README.md).
 */
function resample(image: RgbImage, n: number, scale: number, offX: number, offY: number): Float32Array {
  const out = new Float32Array(n * n * 3).fill(-1);
  const inv = 1 / scale;
  const { width: w, height: h, data } = image;
  const taps = Math.max(1, Math.min(3, Math.floor(inv)));
  const k = taps * taps;
  const value = tapTable(k);
  // Per output column (row): the byte offsets of its taps inside the photo, in [start[p], start[p + 1]).
  const cols = axisTaps(n, taps, offX, inv, w, 3);
  const rows = axisTaps(n, taps, offY, inv, h, w * 3);
  const colIdx = cols.offset, rowIdx = rows.offset;
  for (let y = 0; y < n; y++) {
    const r0 = rows.start[y], r1 = rows.start[y + 1];
    if (r0 === r1) continue; // the whole row is outside the photo: black
    for (let x = 0; x < n; x++) {
      const c0 = cols.start[x], c1 = cols.start[x + 1];
      if (c0 === c1) continue;
      let r = 0, g = 0, b = 0;
      if (r1 - r0 === 3 && c1 - c0 === 3) {
        // All 3×3 taps inside the photo (the common case when shrinking), unrolled.
        const a0 = colIdx[c0], a1 = colIdx[c0 + 1], a2 = colIdx[c0 + 2];
        for (let ty = r0; ty < r1; ty++) {
          const row = rowIdx[ty];
          const i = row + a0, j = row + a1, l = row + a2;
          r += data[i] + data[j] + data[l];
          g += data[i + 1] + data[j + 1] + data[l + 1];
          b += data[i + 2] + data[j + 2] + data[l + 2];
        }
      } else {
        for (let ty = r0; ty < r1; ty++) {
          const row = rowIdx[ty];
          for (let tx = c0; tx < c1; tx++) {
            const i = row + colIdx[tx];
            r += data[i];
            g += data[i + 1];
            b += data[i + 2];
          }
        }
      }
      const o = (y * n + x) * 3;
      out[o] = value[r];
      out[o + 1] = value[g];
      out[o + 2] = value[b];
    }
  }
  return out;
}

/** Along one axis: for output index p, tap t samples floor((p − off + (t + ½) / taps) · inv); kept when inside [0, size). */
function axisTaps(n: number, taps: number, off: number, inv: number, size: number, stride: number): { start: Int32Array; offset: Int32Array } {
  const start = new Int32Array(n + 1);
  const offset = new Int32Array(n * taps);
  let m = 0;
  for (let p = 0; p < n; p++) {
    start[p] = m;
    for (let t = 0; t < taps; t++) {
      const s = Math.floor((p - off + (t + 0.5) / taps) * inv);
      if (s >= 0 && s < size) offset[m++] = s * stride;
    }
  }
  start[n] = m;
  return { start, offset };
}

const tapTables = new Map<number, Float32Array>();
/** The input value of every possible tap sum for k taps: (sum / k) / 127.5 − 1. */
function tapTable(k: number): Float32Array {
  let table = tapTables.get(k);
  if (!table) {
    table = Float32Array.from({ length: 255 * k + 1 }, (_, sum) => sum / k / 127.5 - 1);
    tapTables.set(k, table);
  }
  return table;
}

/** The two output layers of one kind (scores or boxes) in anchor order. */
export function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
