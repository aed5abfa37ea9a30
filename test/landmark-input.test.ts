/**
 * The landmark stage's fast paths give the same values as their definitions, bit for bit:
 *  - cropRoi (geometry.ts) against a plain per-sample bilinear crop with Math.floor and per-sample
 *    bounds checks, on ROIs of every tap count (1–4), rotated, and reaching past the photo's edges,
 *    and on 200 seeded random maps (any angle and centre, odd output sizes, a photo of noise; a
 *    third of them upright on the half-pixel grid, so samples fall exactly on the last row);
 *  - the fused model input (landmarks.ts roiInput: one reused crop buffer, the mirror written in
 *    the same pass) against meshInput(roiCrops(…)) (the crop, a flipped copy, then v / 255);
 *  - landmarksInRoi's inlined mapping against roiToImage per point;
 *  - the detector input (blazeface-decode.ts: taps found per axis, sums read from a table) against
 *    the per-pixel definition, both models, padded, plain and off-centre views.
 * Speed changes there must not move a detection or a landmark (test/speed-parity.test.ts checks the whole result).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { cropRoi, roiToImage, type Roi } from '../src/engine/face/geometry.ts';
import { blazeFaceInput, FULL_RANGE, paddedView, SHORT_RANGE, type BlazeFaceVariant, type DetectionView } from '../src/engine/face/blazeface-decode.ts';
import { landmarksInRoi, roiCrops, roiInput } from '../src/engine/face/landmarks.ts';
import { MESH_INPUT, MESH_POINTS, meshInput } from '../src/engine/face/mesh-model.ts';
import type { RgbImage } from '../src/engine/image.ts';
import { FACES } from '../testkit/fixtures.ts';

/**
 * The crop as main computed it before the fast paths (Math.floor, bounds checked per sample):
 * taps² bilinear samples per pixel, averaged, rounded half up; a pixel whose samples reach past
 * the photo samples black there, with sampleEdge's formula, as cropRoi does.
 */
function referenceCrop(src: RgbImage, roi: Roi, outSize: number): Uint8Array {
  const out = new Uint8Array(outSize * outSize * 3);
  const step = roi.size / outSize;
  const taps = Math.max(1, Math.min(4, Math.floor(step)));
  const cos = Math.cos(roi.angle) * step;
  const sin = Math.sin(roi.angle) * step;
  const { width: w, height: h } = src;
  const at = (x: number, y: number, c: number) => (x < 0 || y < 0 || x >= w || y >= h ? 0 : src.data[(y * w + x) * 3 + c]);
  const inside = (x0: number, y0: number) => x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h;
  const sample = (sx: number, sy: number, c: number, fast: boolean) => {
    const x0 = Math.floor(sx);
    const y0 = Math.floor(sy);
    const fx = sx - x0;
    const fy = sy - y0;
    const [p00, p10, p01, p11] = [at(x0, y0, c), at(x0 + 1, y0, c), at(x0, y0 + 1, c), at(x0 + 1, y0 + 1, c)];
    return fast
      ? p00 * ((1 - fx) * (1 - fy)) + p10 * (fx * (1 - fy)) + p01 * ((1 - fx) * fy) + p11 * (fx * fy)
      : (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
  };
  const half = outSize / 2;
  const offsets: Array<[number, number]> = [];
  for (let ty = 0; ty < taps; ty++) {
    for (let tx = 0; tx < taps; tx++) {
      const du = (tx + 0.5) / taps;
      const dv = (ty + 0.5) / taps;
      offsets.push([du * cos - dv * sin, du * sin + dv * cos]);
    }
  }
  for (let y = 0; y < outSize; y++) {
    // The single-tap crop walks along the row, adding cos and sin per pixel.
    let sx = roi.cx + (0.5 - half) * cos - (y + 0.5 - half) * sin - 0.5;
    let sy = roi.cy + (0.5 - half) * sin + (y + 0.5 - half) * cos - 0.5;
    for (let x = 0; x < outSize; x++, sx += cos, sy += sin) {
      const o = (y * outSize + x) * 3;
      if (taps === 1) {
        const fast = inside(Math.floor(sx), Math.floor(sy));
        for (let c = 0; c < 3; c++) out[o + c] = sample(sx, sy, c, fast) + 0.5;
        continue;
      }
      const bx = roi.cx + (x - half) * cos - (y - half) * sin - 0.5;
      const by = roi.cy + (x - half) * sin + (y - half) * cos - 0.5;
      // The whole footprint inside the photo: the fast formula for every sample.
      const fast = offsets.every(([ox, oy]) => inside(Math.floor(bx + ox), Math.floor(by + oy)))
        && Math.min(...offsets.map(([ox]) => bx + ox)) >= 0 && Math.min(...offsets.map(([, oy]) => by + oy)) >= 0;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (const [ox, oy] of offsets) sum += sample(bx + ox, by + oy, c, fast);
        out[o + c] = sum * (1 / (taps * taps)) + 0.5;
      }
    }
  }
  return out;
}

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `index ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}

const photo = await decodeImage(fs.readFileSync(path.join(FACES, 'obama-1080p.jpg')));
const image = photo.image;
// Centred on the face and at the edges, upright and rotated; sizes for 1, 2, 3 and 4 taps at 192.
const rois: Roi[] = [
  { cx: 975, cy: 430, size: 438.8, angle: 0.05 },
  { cx: 975, cy: 430, size: 250, angle: -0.2 },
  { cx: 975, cy: 430, size: 640, angle: 0.6 },
  { cx: 975, cy: 430, size: 900, angle: Math.PI / 2 },
  { cx: 40, cy: 1050, size: 438.8, angle: 0.3 },
  { cx: 1900, cy: 20, size: 300, angle: -1.1 },
  { cx: 960, cy: 540, size: 2600, angle: 0 },
];

test('cropRoi equals the per-sample definition, bit for bit, at every tap count and at the edges', () => {
  for (const roi of rois) {
    const fast = cropRoi(image, roi, MESH_INPUT).data;
    assert.equal(firstDifference(fast, referenceCrop(image, roi, MESH_INPUT)), null, `ROI ${JSON.stringify(roi)}`);
  }
});

/** mulberry32: a small seeded generator, so a failure names a map that can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('cropRoi equals the per-sample definition on random maps: any angle, 1–4 taps, odd sizes, partly or wholly off the photo', () => {
  const rand = random(14);
  // A small photo of random bytes (every neighbour differs, so a wrong pixel or weight shows) and the real one.
  const noise: RgbImage = { width: 61, height: 37, data: Uint8Array.from({ length: 61 * 37 * 3 }, () => Math.floor(rand() * 256)) };
  for (let k = 0; k < 200; k++) {
    const src = k % 10 === 0 ? image : noise;
    const outSize = k % 10 === 0 ? MESH_INPUT : [1, 2, 7, 24, 33][k % 5];
    const taps = 1 + (k % 4);
    // Every third map upright on the half-pixel grid: sample positions land exactly on pixel
    // centres and on the last row and column, where an off-by-one in a bounds test shows.
    const grid = k % 3 === 1;
    const roi: Roi = grid
      ? { cx: Math.round(rand() * src.width * 2) / 2, cy: Math.round(rand() * src.height * 2) / 2, size: outSize * (taps + (k % 2) * 0.5), angle: 0 }
      : { cx: (rand() * 1.6 - 0.3) * src.width, cy: (rand() * 1.6 - 0.3) * src.height, size: outSize * (taps + rand() * 0.999), angle: (rand() * 2 - 1) * Math.PI };
    const fast = cropRoi(src, roi, outSize).data;
    assert.equal(firstDifference(fast, referenceCrop(src, roi, outSize)), null, `map ${k}: ${src.width}×${src.height}, ${outSize}², ROI ${JSON.stringify(roi)}`);
  }
});

test('the fused mesh input equals meshInput(roiCrops(…)), plain and mirrored', () => {
  for (const roi of rois) {
    for (const mirrored of [false, true]) {
      const expected = meshInput(roiCrops(image, roi, mirrored));
      assert.equal(firstDifference(roiInput(image, roi, mirrored), expected), null, `ROI ${JSON.stringify(roi)}, mirrored ${mirrored}`);
    }
  }
});

test('landmarksInRoi maps every point as roiToImage does', () => {
  const roi = rois[0];
  const local = Float32Array.from({ length: MESH_POINTS * 3 }, (_, i) => ((i * 37) % 191) + (i % 7) / 7);
  const { points } = landmarksInRoi([{ points: local.slice(), score: 0.9 }], roi);
  for (let i = 0; i < MESH_POINTS; i++) {
    const p = roiToImage(roi, MESH_INPUT, { x: local[i * 3], y: local[i * 3 + 1] });
    assert.equal(points[i * 3], Math.fround(p.x), `point ${i} x`);
    assert.equal(points[i * 3 + 1], Math.fround(p.y), `point ${i} y`);
    assert.equal(points[i * 3 + 2], Math.fround(local[i * 3 + 2] * (roi.size / MESH_INPUT)), `point ${i} z`);
  }
});

/** The detector input by its definition: per pixel, taps² nearest samples (black outside), their mean, scaled to [-1, 1]. */
function referenceDetectorInput(src: RgbImage, variant: BlazeFaceVariant, view: DetectionView): Float32Array {
  const n = variant.input;
  const scale = n / view.side;
  const offX = n / 2 - view.cx * scale;
  const offY = n / 2 - view.cy * scale;
  const inv = 1 / scale;
  const taps = Math.max(1, Math.min(3, Math.floor(inv)));
  const out = new Float32Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const sum = [0, 0, 0];
      for (let ty = 0; ty < taps; ty++) {
        const sy = Math.floor((y - offY + (ty + 0.5) / taps) * inv);
        for (let tx = 0; tx < taps; tx++) {
          const sx = Math.floor((x - offX + (tx + 0.5) / taps) * inv);
          if (sx < 0 || sy < 0 || sx >= src.width || sy >= src.height) continue;
          for (let c = 0; c < 3; c++) sum[c] += src.data[(sy * src.width + sx) * 3 + c];
        }
      }
      for (let c = 0; c < 3; c++) out[(y * n + x) * 3 + c] = sum[c] / (taps * taps) / 127.5 - 1;
    }
  }
  return out;
}

test('the detector input equals its per-pixel definition, bit for bit', async () => {
  const small = (await decodeImage(fs.readFileSync(path.join(FACES, 'astronaut.png')))).image;
  for (const src of [image, small]) {
    for (const variant of [SHORT_RANGE, FULL_RANGE]) {
      for (const pad of [0, 0.4]) {
        const view = paddedView(src, pad);
        for (const v of [view, { cx: view.cx + 37.3, cy: view.cy - 80.1, side: view.side * 0.45 }]) {
          const what = `${src.width}×${src.height}, ${variant.name}, view ${JSON.stringify(v)}`;
          assert.equal(firstDifference(blazeFaceInput(src, variant, v), referenceDetectorInput(src, variant, v)), null, what);
        }
      }
    }
  }
});
