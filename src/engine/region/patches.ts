/**
 * Acne patches: square cut-outs of the aligned face crop around the landmark-defined
 * forehead, cheeks, nose and chin, at a side that keeps lesions a few pixels wide visible
 * (a whole-face 224 crop shrinks a cheek to ~50 px). Training cuts them with
 * `skinsight crop --patches`; the same function serves the engine, so both see the same pixels.
 */
import type { Point, RgbImage } from '../image.ts';
import { resizeArea } from '../face/geometry.ts';
import { REGION_OUTLINES } from './skin-regions.ts';

export const PATCH_REGIONS = ['forehead', 'left_cheek', 'right_cheek', 'nose', 'chin'] as const;
export type PatchRegion = (typeof PATCH_REGIONS)[number];

/** A region's patch: the square around its outline's bounding box, resized to `size`. */
export function regionPatch(crop: RgbImage, landmarks: Point[], region: PatchRegion, size: number): RgbImage {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const i of REGION_OUTLINES[region]) {
    const p = landmarks[i];
    x0 = Math.min(x0, p.x);
    x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y);
  }
  // square, at least 1/8 of the crop, kept inside the crop
  const side = Math.round(Math.min(crop.width, crop.height, Math.max(x1 - x0, y1 - y0, crop.width / 8)));
  const left = Math.round(Math.min(Math.max((x0 + x1) / 2 - side / 2, 0), crop.width - side));
  const top = Math.round(Math.min(Math.max((y0 + y1) / 2 - side / 2, 0), crop.height - side));
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    const src = ((top + y) * crop.width + left) * 3;
    data.set(crop.data.subarray(src, src + side * 3), y * side * 3);
  }
  const cut = { width: side, height: side, data };
  return side === size ? cut : resizeArea(cut, size, size);
}
