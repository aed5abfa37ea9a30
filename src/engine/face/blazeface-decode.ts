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
 */
function resample(image: RgbImage, n: number, scale: number, offX: number, offY: number): Float32Array {
  const out = new Float32Array(n * n * 3);
  const inv = 1 / scale;
  const { width: w, height: h, data } = image;
  // When shrinking by more than 2×, average a few samples per pixel to avoid aliasing.
  const taps = Math.max(1, Math.min(3, Math.floor(inv)));
  const k = taps * taps;
  // The sampled column (as a byte offset, −1 outside the photo) and row of every tap, computed
  // once per axis instead of per pixel (the same expressions, so the same pixels).
  const cols = new Int32Array(n * taps);
  const rows = new Int32Array(n * taps);
  for (let p = 0; p < n; p++) {
    for (let t = 0; t < taps; t++) {
      const sx = Math.floor((p - offX + (t + 0.5) / taps) * inv);
      const sy = Math.floor((p - offY + (t + 0.5) / taps) * inv);
      cols[p * taps + t] = sx < 0 || sx >= w ? -1 : sx * 3;
      rows[p * taps + t] = sy < 0 || sy >= h ? -1 : sy * w * 3;
    }
  }
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let r = 0, g = 0, b = 0, hits = 0;
      for (let ty = 0; ty < taps; ty++) {
        const row = rows[y * taps + ty];
        if (row < 0) continue;
        for (let tx = 0; tx < taps; tx++) {
          const col = cols[x * taps + tx];
          if (col < 0) continue;
          const i = row + col;
          r += data[i]; g += data[i + 1]; b += data[i + 2]; hits++;
        }
      }
      const o = (y * n + x) * 3;
      // Taps outside the photo count as black, like the padding.
      out[o] = (hits ? r / k : 0) / 127.5 - 1;
      out[o + 1] = (hits ? g / k : 0) / 127.5 - 1;
      out[o + 2] = (hits ? b / k : 0) / 127.5 - 1;
    }
  }
  return out;
}

/** The two output layers of one kind (scores or boxes) in anchor order. */
export function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
