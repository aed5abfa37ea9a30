/** Polygon rasterisation and binary morphology on masks. */
import { createMask, type Mask, type Point } from '../image.ts';

/**
 * Fills a simple polygon (even-odd rule, pixel centres) into `mask` with `value`, or, given
 * `within`, with `within`'s own pixels: the polygon AND `within` in one pass over its rows only.
 */
export function fillPolygon(mask: Mask, polygon: Point[], value = 1, within?: Mask): void {
  const n = polygon.length;
  if (n < 3) return;
  let minY = Infinity, maxY = -Infinity;
  for (const p of polygon) {
    if (p.y < minY) minY = p.y;
    if (p.y > maxY) maxY = p.y;
  }
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(mask.height - 1, Math.floor(maxY - 0.5));
  // Crossings of one row, sorted by insertion as they come (a row crosses a few edges).
  const xs = new Float64Array(n);
  for (let y = y0; y <= y1; y++) {
    const cy = y + 0.5;
    let m = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const a = polygon[i];
      const b = polygon[j];
      if ((a.y > cy) !== (b.y > cy)) {
        const v = a.x + ((cy - a.y) / (b.y - a.y)) * (b.x - a.x);
        let k = m++;
        while (k > 0 && xs[k - 1] > v) {
          xs[k] = xs[k - 1];
          k--;
        }
        xs[k] = v;
      }
    }
    for (let k = 0; k + 1 < m; k += 2) {
      const xa = Math.max(0, Math.ceil(xs[k] - 0.5));
      const xb = Math.min(mask.width - 1, Math.floor(xs[k + 1] - 0.5));
      const row = y * mask.width;
      if (within) {
        for (let x = xa; x <= xb; x++) mask.data[row + x] |= within.data[row + x];
      } else {
        for (let x = xa; x <= xb; x++) mask.data[row + x] = value;
      }
    }
  }
}

/** The polygon as a mask; given `within`, the polygon AND `within` (without a full-size AND pass). */
export function polygonMask(width: number, height: number, polygon: Point[], within?: Mask): Mask {
  const mask = createMask(width, height);
  fillPolygon(mask, polygon, 1, within);
  return mask;
}

/** The mask's bytes as 32-bit words, when its rows are whole aligned words (else null): a word of 0 is 4 empty pixels. */
export function wordView(data: Uint8Array, width: number, height: number): Uint32Array | null {
  return data.byteOffset % 4 === 0 && width % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, (width * height) >> 2) : null;
}

/** Index in its row of the first set pixel of the row starting at `row` (`width` when none), skipping empty words. */
export function firstSetInRow(data: Uint8Array, words: Uint32Array | null, row: number, width: number): number {
  let a = 0;
  if (words !== null) while (a < width && words[(row + a) >> 2] === 0) a += 4;
  while (a < width && data[row + a] === 0) a++;
  return a;
}

/** Index in its row of the last set pixel of a row known to have one. */
export function lastSetInRow(data: Uint8Array, row: number, width: number): number {
  let b = width - 1;
  while (data[row + b] === 0) b--;
  return b;
}

/**
 * Square dilation by `radius` pixels, separable: a row pass that writes each set pixel's span
 * once (spans that overlap are not rewritten), then a column pass as a running count per
 * column, walked row by row. Both stay inside the bounding box of the set pixels grown by the
 * radius, so a mask of eyes or lips costs a fraction of the crop. `out` and `tmp` (zeroed,
 * mask-sized) may be lent by the caller.
 */
export function dilate(mask: Mask, radius: number, out: Uint8Array = new Uint8Array(mask.width * mask.height), tmp?: Uint8Array): Mask {
  const r = Math.max(0, Math.round(radius));
  if (r === 0) return { ...mask, data: mask.data.slice() };
  const { width: w, height: h } = mask;
  const src = mask.data;
  let y0 = h, y1 = -1, x0 = w, x1 = -1;
  // Empty 4-byte words are skipped while looking for a row's first set pixel (rows of eyes and lips are mostly empty).
  const u32 = wordView(src, w, h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const a = firstSetInRow(src, u32, row, w);
    if (a === w) continue;
    const b = lastSetInRow(src, row, w);
    if (a < x0) x0 = a;
    if (b > x1) x1 = b;
    if (y < y0) y0 = y;
    y1 = y;
  }
  if (y1 < 0) return { width: w, height: h, data: out };
  tmp ??= new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) {
    const row = y * w;
    let next = 0;
    for (let x = x0; x <= x1; x++) {
      if (src[row + x] === 0) continue;
      const b = Math.min(w - 1, x + r);
      for (let k = Math.max(next, x - r); k <= b; k++) tmp[row + k] = 1;
      next = b + 1;
    }
  }
  const cx0 = Math.max(0, x0 - r), cx1 = Math.min(w - 1, x1 + r);
  const count = new Uint16Array(w);
  // Output row y sees tmp rows y−r … y+r: add the row entering the window, drop the one leaving.
  // (y starts at y0 − r, possibly above the mask, so every row enters the window once.)
  for (let y = y0 - r, end = Math.min(h - 1, y1 + r); y <= end; y++) {
    const enter = y + r;
    if (enter <= y1) for (let x = cx0, o = enter * w; x <= cx1; x++) count[x] += tmp[o + x];
    const leave = y - r - 1;
    if (leave >= y0) for (let x = cx0, o = leave * w; x <= cx1; x++) count[x] -= tmp[o + x];
    if (y >= 0) for (let x = cx0, o = y * w; x <= cx1; x++) out[o + x] = count[x] !== 0 ? 1 : 0;
  }
  return { width: w, height: h, data: out };
}

/** A band of half-width `halfWidth` around a polyline, drawn into `mask` (a new one by default), AND `within` when given. */
export function polylineBand(width: number, height: number, line: Point[], halfWidth: number, within?: Mask, mask: Mask = createMask(width, height)): Mask {
  for (let i = 0; i + 1 < line.length; i++) {
    const a = line[i];
    const b = line[i + 1];
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const nx = (-dy / len) * halfWidth;
    const ny = (dx / len) * halfWidth;
    fillPolygon(mask, [
      { x: a.x + nx, y: a.y + ny },
      { x: b.x + nx, y: b.y + ny },
      { x: b.x - nx, y: b.y - ny },
      { x: a.x - nx, y: a.y - ny },
    ], 1, within);
  }
  return mask;
}
