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
export function cropRoi(src: RgbImage, roi: Roi, outSize: number): RgbImage {
  const out = new Uint8Array(outSize * outSize * 3);
  const step = roi.size / outSize;
  const taps = Math.max(1, Math.min(4, Math.floor(step)));
  const cos = Math.cos(roi.angle) * step;
  const sin = Math.sin(roi.angle) * step;
  const { width: w, height: h, data } = src;
  const acc = [0, 0, 0];
  for (let y = 0; y < outSize; y++) {
    for (let x = 0; x < outSize; x++) {
      acc[0] = acc[1] = acc[2] = 0;
      for (let ty = 0; ty < taps; ty++) {
        for (let tx = 0; tx < taps; tx++) {
          const u = x + (tx + 0.5) / taps - outSize / 2;
          const v = y + (ty + 0.5) / taps - outSize / 2;
          const sx = roi.cx + u * cos - v * sin - 0.5;
          const sy = roi.cy + u * sin + v * cos - 0.5;
          sampleBilinear(data, w, h, sx, sy, acc);
        }
      }
      const o = (y * outSize + x) * 3;
      const n = taps * taps;
      out[o] = (acc[0] / n + 0.5) | 0;
      out[o + 1] = (acc[1] / n + 0.5) | 0;
      out[o + 2] = (acc[2] / n + 0.5) | 0;
    }
  }
  return { width: outSize, height: outSize, data: out };
}

function sampleBilinear(data: Uint8Array, w: number, h: number, sx: number, sy: number, acc: number[]): void {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  for (let c = 0; c < 3; c++) {
    const p00 = px(data, w, h, x0, y0, c);
    const p10 = px(data, w, h, x0 + 1, y0, c);
    const p01 = px(data, w, h, x0, y0 + 1, c);
    const p11 = px(data, w, h, x0 + 1, y0 + 1, c);
    acc[c] += (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
  }
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
  const sxScale = src.width / outW;
  const syScale = src.height / outH;
  for (let y = 0; y < outH; y++) {
    const y0 = y * syScale;
    const y1 = y0 + syScale;
    for (let x = 0; x < outW; x++) {
      const x0 = x * sxScale;
      const x1 = x0 + sxScale;
      let r = 0, g = 0, b = 0, wsum = 0;
      for (let yy = Math.floor(y0); yy < Math.ceil(y1); yy++) {
        const wy = Math.min(yy + 1, y1) - Math.max(yy, y0);
        for (let xx = Math.floor(x0); xx < Math.ceil(x1); xx++) {
          const wx = Math.min(xx + 1, x1) - Math.max(xx, x0);
          const wgt = wx * wy;
          const i = (yy * src.width + xx) * 3;
          r += src.data[i] * wgt;
          g += src.data[i + 1] * wgt;
          b += src.data[i + 2] * wgt;
          wsum += wgt;
        }
      }
      const o = (y * outW + x) * 3;
      out[o] = (r / wsum + 0.5) | 0;
      out[o + 1] = (g / wsum + 0.5) | 0;
      out[o + 2] = (b / wsum + 0.5) | 0;
    }
  }
  return { width: outW, height: outH, data: out };
}
