/**
 * Affine warps and resizes on RGB images. The face stages cut rotated squares out of
 * the photo (the MediaPipe way: a region of interest with a centre, a size and a
 * rotation) and map model coordinates back through the same transform.
 */
import type { Point, RgbImage } from '../image.ts';

/** A square region of interest in image pixels, rotated by `angle` radians (clockwise in image coordinates). */
export interface Roi {
  cx: number;
  cy: number;
  size: number;
  angle: number;
}

/** Maps a point in an `outSize`×`outSize` crop of `roi` back to image pixels. */
export function roiToImage(roi: Roi, outSize: number, p: Point): Point {
  const s = roi.size / outSize;
  const u = (p.x - outSize / 2) * s;
  const v = (p.y - outSize / 2) * s;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  return { x: roi.cx + u * cos - v * sin, y: roi.cy + u * sin + v * cos };
}

/** Maps an image point into the `outSize`×`outSize` crop of `roi`. */
export function imageToRoi(roi: Roi, outSize: number, p: Point): Point {
  const dx = p.x - roi.cx;
  const dy = p.y - roi.cy;
  const cos = Math.cos(roi.angle);
  const sin = Math.sin(roi.angle);
  const s = outSize / roi.size;
  return { x: (dx * cos + dy * sin) * s + outSize / 2, y: (-dx * sin + dy * cos) * s + outSize / 2 };
}

/**
 * Cuts `roi` out of `src` into an `outSize`² RGB image with bilinear sampling; pixels
 * outside the photo are black (as MediaPipe's ImageToTensor with zero border).
 * When the crop shrinks the photo by more than 2×, several samples per output pixel
 * are averaged so that small crops of big photos do not alias.
 */
export function cropRoi(src: RgbImage, roi: Roi, outSize: number, out = new Uint8Array(outSize * outSize * 3)): RgbImage {
  if (out.length !== outSize * outSize * 3) throw new Error(`cropRoi: output buffer of ${out.length} bytes for a ${outSize}² crop`);
  // The fast paths index the photo in int32 arithmetic (`| 0`, Math.imul): exact below 2³¹ bytes
  // (the decoder halves photos to a long side ≤ 2048 px: ≤ 12.6 MB).
  if (src.data.length > 0x7fffffff) throw new Error(`cropRoi: a photo of ${src.data.length} bytes`);
  const step = roi.size / outSize;
  const taps = Math.max(1, Math.min(4, Math.floor(step)));
  const cos = Math.cos(roi.angle) * step;
  const sin = Math.sin(roi.angle) * step;
  if (taps === 1) return cropRoiSingleTap(src, roi, outSize, cos, sin, out);
  return cropRoiMultiTap(src, roi, outSize, taps, cos, sin, out);
}

/**
 * taps² bilinear samples per output pixel on a regular sub-grid, averaged. The sub-grid's
 * offsets are the same for every pixel, so they are computed once, and a pixel whose whole
 * footprint lies inside the photo takes the fast path without per-sample bounds checks. There
 * every sample position is ≥ 0 (bx + minOx ≥ 0, and float addition is monotonic), so `| 0` is
 * Math.floor: the same pixels and weights, bit for bit (test/landmark-input.test.ts), ~30 % less
 * time (bench/README.md). The pixel's corner cx + u·cos − v·sin − 0.5 is evaluated left to right
 * as before, with cx + u·cos (per column) and v·sin (per row) read from tables: the same floats.
 */
function cropRoiMultiTap(src: RgbImage, roi: Roi, outSize: number, taps: number, cos: number, sin: number, out: Uint8Array): RgbImage {
  const { width: w, height: h, data } = src;
  const half = outSize / 2;
  const n = taps * taps;
  const inv = 1 / n;
  const offX = new Float64Array(n);
  const offY = new Float64Array(n);
  let minOx = Infinity, maxOx = -Infinity, minOy = Infinity, maxOy = -Infinity;
  for (let ty = 0, t = 0; ty < taps; ty++) {
    const dv = (ty + 0.5) / taps;
    for (let tx = 0; tx < taps; tx++, t++) {
      const du = (tx + 0.5) / taps;
      offX[t] = du * cos - dv * sin;
      offY[t] = du * sin + dv * cos;
      minOx = Math.min(minOx, offX[t]);
      maxOx = Math.max(maxOx, offX[t]);
      minOy = Math.min(minOy, offY[t]);
      maxOy = Math.max(maxOy, offY[t]);
    }
  }
  const colX = new Float64Array(outSize);
  const colY = new Float64Array(outSize);
  for (let x = 0; x < outSize; x++) {
    const u = x - half;
    colX[x] = roi.cx + u * cos;
    colY[x] = roi.cy + u * sin;
  }
  const w3 = w * 3;
  const xLim = w - 1, yLim = h - 1;
  let o = 0;
  for (let y = 0; y < outSize; y++) {
    const v = y - half;
    const vSin = v * sin, vCos = v * cos;
    for (let x = 0; x < outSize; x++, o += 3) {
      const bx = colX[x] - vSin - 0.5;
      const by = colY[x] + vCos - 0.5;
      let r = 0, g = 0, b = 0;
      if (bx + minOx >= 0 && by + minOy >= 0 && bx + maxOx < xLim && by + maxOy < yLim) {
        // Fast path: every sample's four neighbours are inside the photo.
        for (let t = 0; t < n; t++) {
          const sx = bx + offX[t];
          const sy = by + offY[t];
          const x0 = sx | 0; // sx ≥ 0 here: Math.floor
          const y0 = sy | 0;
          const i = (Math.imul(y0, w3) + Math.imul(x0, 3)) | 0;
          const fx = sx - x0, fy = sy - y0;
          r += sampleInside(data, i, w3, fx, fy, 0);
          g += sampleInside(data, i, w3, fx, fy, 1);
          b += sampleInside(data, i, w3, fx, fy, 2);
        }
      } else {
        for (let t = 0; t < n; t++) {
          const sx = bx + offX[t];
          const sy = by + offY[t];
          const x0 = Math.floor(sx);
          const y0 = Math.floor(sy);
          const fx = sx - x0;
          const fy = sy - y0;
          r += sampleEdge(data, w, h, x0, y0, fx, fy, 0);
          g += sampleEdge(data, w, h, x0, y0, fx, fy, 1);
          b += sampleEdge(data, w, h, x0, y0, fx, fy, 2);
        }
      }
      out[o] = r * inv + 0.5;
      out[o + 1] = g * inv + 0.5;
      out[o + 2] = b * inv + 0.5;
    }
  }
  return { width: outSize, height: outSize, data: out };
}

/** One bilinear sample per output pixel, walking the source along the rotated row. */
function cropRoiSingleTap(src: RgbImage, roi: Roi, outSize: number, cos: number, sin: number, out: Uint8Array): RgbImage {
  const { width: w, height: h, data } = src;
  const half = outSize / 2;
  const w3 = w * 3;
  const xLim = w - 1, yLim = h - 1;
  let o = 0;
  for (let y = 0; y < outSize; y++) {
    const v = y + 0.5 - half;
    const u0 = 0.5 - half;
    let sx = roi.cx + u0 * cos - v * sin - 0.5;
    let sy = roi.cy + u0 * sin + v * cos - 0.5;
    for (let x = 0; x < outSize; x++, sx += cos, sy += sin, o += 3) {
      // floor(sx) ≥ 0 ⟺ sx ≥ 0 and floor(sx) + 1 < w ⟺ sx < w − 1: then `| 0` is Math.floor.
      if (sx >= 0 && sy >= 0 && sx < xLim && sy < yLim) {
        const x0 = sx | 0;
        const y0 = sy | 0;
        const i = (Math.imul(y0, w3) + Math.imul(x0, 3)) | 0;
        const fx = sx - x0, fy = sy - y0;
        // All three read before the first store: V8 re-checks `data` after each store to `out`.
        const r = sampleInside(data, i, w3, fx, fy, 0);
        const g = sampleInside(data, i, w3, fx, fy, 1);
        const b = sampleInside(data, i, w3, fx, fy, 2);
        out[o] = r + 0.5;
        out[o + 1] = g + 0.5;
        out[o + 2] = b + 0.5;
      } else {
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        out[o] = sampleEdge(data, w, h, x0, y0, fx, fy, 0) + 0.5;
        out[o + 1] = sampleEdge(data, w, h, x0, y0, fx, fy, 1) + 0.5;
        out[o + 2] = sampleEdge(data, w, h, x0, y0, fx, fy, 2) + 0.5;
      }
    }
  }
  return { width: outSize, height: outSize, data: out };
}

/**
 * Bilinear sample of channel c with all four neighbours inside the photo (both fast paths): `i`
 * is the top-left neighbour's byte index, `w3` the row stride. The weights and the order of the
 * sum are those of the two copies it replaced, so the same floats; V8 inlines it. The `| 0` on
 * the indices spares V8's int32 overflow checks (bench/README.md "Aligned crops"). sampleEdge
 * keeps its own order of operations, which gives other low bits.
 */
function sampleInside(data: Uint8Array, i: number, w3: number, fx: number, fy: number, c: number): number {
  const gx = 1 - fx, gy = 1 - fy;
  const k = (i + c) | 0, j = (k + w3) | 0;
  return data[k] * (gx * gy) + data[(k + 3) | 0] * (fx * gy) + data[j] * (gx * fy) + data[(j + 3) | 0] * (fx * fy);
}

/** Bilinear sample near the border: neighbours outside the photo count as black. */
function sampleEdge(data: Uint8Array, w: number, h: number, x0: number, y0: number, fx: number, fy: number, c: number): number {
  const p00 = px(data, w, h, x0, y0, c);
  const p10 = px(data, w, h, x0 + 1, y0, c);
  const p01 = px(data, w, h, x0, y0 + 1, c);
  const p11 = px(data, w, h, x0 + 1, y0 + 1, c);
  return (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
}

function px(data: Uint8Array, w: number, h: number, x: number, y: number, c: number): number {
  if (x < 0 || y < 0 || x >= w || y >= h) return 0;
  return data[(y * w + x) * 3 + c];
}

/**
 * Area-averaging resize (each output pixel is the mean of the input pixels it covers),
 * used to bring the measure crop down to a model's input size without aliasing.
 */
export function resizeArea(src: RgbImage, outW: number, outH: number): RgbImage {
  const out = new Uint8Array(outW * outH * 3);
  resizeAreaInto(src, outW, outH, out);
  return { width: outW, height: outH, data: out };
}

/**
 * resizeArea into `out` (outW·outH·3 bytes, interleaved RGB; the classifier lends one per model):
 * each output value the coverage-weighted mean of the input pixels under it, rounded half up,
 * as the training crops are made (`skinsight crop` uses resizeArea).
 */
export function resizeAreaInto(src: RgbImage, outW: number, outH: number, out: Uint8Array): void {
  if (src.width % outW === 0 && src.height % outH === 0) {
    resizeBlocks(src, src.width / outW, src.height / outH, out);
    return;
  }
  resampleAreaWeighted(src, outW, outH, (i, r, g, b) => {
    out[i * 3] = r;
    out[i * 3 + 1] = g;
    out[i * 3 + 2] = b;
  });
}

/**
 * Integer ratios (the 384² measure crop to a 192² model input: 2 × 2 blocks). Every span edge
 * a = o·k, b = a + k is then an integer, so each covered pixel's weight min(p + 1, b) − max(p, a)
 * is exactly 1 and the weighted mean is the integer block sum / (kx·ky): the same values as
 * resampleAreaWeighted gives (test/classifier-input.test.ts compares the two), without its span
 * tables, per-tap multiplies and call per output pixel.
 */
function resizeBlocks(src: RgbImage, kx: number, ky: number, out: Uint8Array): void {
  const outW = src.width / kx, outH = src.height / ky;
  const sw3 = src.width * 3, bx3 = kx * 3, n = kx * ky;
  const data = src.data;
  if (kx === 2 && ky === 2) {
    // the model input's case, unrolled: two pixels of two rows
    for (let y = 0, o = 0; y < outH; y++) {
      for (let x = 0, i = 2 * y * sw3; x < outW; x++, o += 3, i += 6) {
        const k = i + sw3;
        // (s + 2) >> 2 is floor(s / 4 + 0.5) for the integer sum s ≥ 0: the general path's rounding
        out[o] = (data[i] + data[i + 3] + data[k] + data[k + 3] + 2) >> 2;
        out[o + 1] = (data[i + 1] + data[i + 4] + data[k + 1] + data[k + 4] + 2) >> 2;
        out[o + 2] = (data[i + 2] + data[i + 5] + data[k + 2] + data[k + 5] + 2) >> 2;
      }
    }
    return;
  }
  for (let y = 0, o = 0; y < outH; y++) {
    const row0 = y * ky * sw3;
    for (let x = 0; x < outW; x++, o += 3) {
      let r = 0, g = 0, b = 0;
      for (let j = 0, row = row0 + x * bx3; j < ky; j++, row += sw3) {
        for (let i = row, end = row + bx3; i < end; i += 3) {
          r += data[i];
          g += data[i + 1];
          b += data[i + 2];
        }
      }
      out[o] = (r / n + 0.5) | 0;
      out[o + 1] = (g / n + 0.5) | 0;
      out[o + 2] = (b / n + 0.5) | 0;
    }
  }
}

/**
 * Any ratio (the definition): `emit(i, r, g, b)` receives output pixel i (row-major) as 8-bit
 * values, each the coverage-weighted mean of the input pixels under it, rounded half up.
 */
export function resampleAreaWeighted(src: RgbImage, outW: number, outH: number, emit: (i: number, r: number, g: number, b: number) => void): void {
  // The covered input pixels and their coverage weights, per output column and row, computed
  // once (the same expressions as per pixel, so the sums are bit-identical).
  const cols = areaSpans(src.width, outW);
  const rows = areaSpans(src.height, outH);
  const sw3 = src.width * 3;
  const data = src.data;
  for (let y = 0, o = 0; y < outH; y++) {
    const ry0 = rows.start[y], ry1 = rows.start[y + 1];
    for (let x = 0; x < outW; x++, o++) {
      const cx0 = cols.start[x], cx1 = cols.start[x + 1];
      let r = 0, g = 0, b = 0, wsum = 0;
      for (let j = ry0; j < ry1; j++) {
        const wy = rows.weight[j];
        const rowBase = rows.index[j] * sw3;
        for (let k = cx0; k < cx1; k++) {
          const wgt = cols.weight[k] * wy;
          const i = rowBase + cols.index[k] * 3;
          r += data[i] * wgt;
          g += data[i + 1] * wgt;
          b += data[i + 2] * wgt;
          wsum += wgt;
        }
      }
      emit(o, (r / wsum + 0.5) | 0, (g / wsum + 0.5) | 0, (b / wsum + 0.5) | 0);
    }
  }
}

/** For each output cell of an area resize along one axis: the input indices it covers and how much of each. */
function areaSpans(inSize: number, outSize: number): { start: Int32Array; index: Int32Array; weight: Float64Array } {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < outSize; o++) {
    start[o] = index.length;
    const a = o * scale;
    const b = a + scale;
    for (let p = Math.floor(a); p < Math.ceil(b); p++) {
      index.push(p);
      weight.push(Math.min(p + 1, b) - Math.max(p, a));
    }
  }
  start[outSize] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}
