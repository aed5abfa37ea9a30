/**
 * The shared, precomputed state of one measurement: L*a*b* planes computed once (with their
 * histogram bins, lab-planes.ts), pixel index lists of the masks, masked integral images for
 * box filters, and small statistics helpers. Everything here works on typed arrays; nothing
 * allocates per pixel, and a `MeasureBuffers` passed in lends the large arrays from one call
 * to the next (measures/index.ts keeps one per thread: a measurement is synchronous, and no
 * array of a context outlives the call that made it).
 */
import type { Mask, RgbImage } from '../image.ts';
import type { LabImage } from './color.ts';
import { convertAt, convertNeeded, labPlanes, type LabPlanes } from './lab-planes.ts';
import { firstSetInRow, lastSetInRow, wordView } from '../region/raster.ts';

export interface Roi {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MeasureContext {
  /** The analysed part of the crop: bounding box of the skin (and extra masks) plus a filter margin. */
  readonly image: RgbImage;
  /**
   * L*a*b* of `image`, computed once: L*, a* and b* at the pixels of the skin, the extra masks
   * and any mask indexed later through pixelsOf; L* alone at the neighbours of skin pixels that
   * the sharpness Laplacian reads (laplacianStep); 0 elsewhere, which no measure reads.
   */
  readonly lab: LabImage;
  /** Histogram bins of L*, a*, b* where a* and b* are known (lab-planes.ts; binL is CLIPPED at a clipped pixel). */
  readonly bins: Omit<LabPlanes, 'lab'>;
  /** Skin mask cropped to the ROI. */
  readonly skin: Mask;
  /** Indices of the skin pixels (in ROI coordinates). */
  readonly skinIdx: Int32Array;
  /** Length scale in pixels (inter-ocular distance); every filter size is a fraction of it. */
  readonly scalePx: number;
  /** Where `image` lies in the source crop. */
  readonly roi: Roi;
  /** The uncropped inputs (the colour-cast check looks at non-skin pixels). */
  readonly source: { image: RgbImage; skin: Mask };
  /** Cache for integral images and the like, keyed by the measure that needs them. */
  readonly cache: Map<string, unknown>;
  /** Pixel index lists (ROI coordinates) per source mask. */
  readonly lists: WeakMap<Mask, Int32Array>;
  /** Per ROI pixel: 2 = L*a*b* and bins converted, 1 = L* only, 0 = not converted. */
  readonly need: Uint8Array;
  /** The masks whose pixels have L*a*b* in this context (the ones it was made with, then any pixelsOf converts). */
  readonly ready: WeakSet<Mask>;
  /** The masks it was made with (skin and extra). */
  readonly declared: readonly Mask[];
  readonly buffers: MeasureBuffers | null;
}

/**
 * Typed arrays lent from one measurement to the next, by name: `take` gives a zeroed view of
 * the wanted length (grown when too short). Only for callers that drop every context before
 * the next call (measures/index.ts); a context made without buffers allocates its own.
 */
export class MeasureBuffers {
  private readonly pool = new Map<string, Float32Array | Float64Array | Int32Array | Uint16Array | Uint8Array>();
  take<T extends Float32Array | Float64Array | Int32Array | Uint16Array | Uint8Array>(
    name: string, make: new (n: number) => T, n: number, zero = true,
  ): T {
    let buf = this.pool.get(name) as T | undefined;
    if (buf === undefined || buf.length < n || buf.constructor !== make) {
      buf = new make(Math.ceil(n * 1.25));
      this.pool.set(name, buf);
      return buf.subarray(0, n) as T;
    }
    const view = buf.subarray(0, n) as T;
    if (zero) view.fill(0);
    return view;
  }
}

export function takeOrNew<T extends Float32Array | Float64Array | Int32Array | Uint16Array | Uint8Array>(
  buffers: MeasureBuffers | null, name: string, make: new (n: number) => T, n: number, zero = true,
): T {
  return buffers === null ? new make(n) : buffers.take(name, make, n, zero);
}

function planesFor(buffers: MeasureBuffers | null, tag: string, w: number, h: number): LabPlanes {
  if (buffers === null) return labPlanes(w, h);
  const n = w * h;
  return labPlanes(w, h, {
    L: buffers.take(`${tag}L`, Float32Array, n),
    a: buffers.take(`${tag}a`, Float32Array, n),
    b: buffers.take(`${tag}b`, Float32Array, n),
    // Bins are only ever read where they were written (need = 2): no zeroing.
    binL: buffers.take(`${tag}binL`, Uint16Array, n, false),
    binA: buffers.take(`${tag}binA`, Uint16Array, n, false),
    binB: buffers.take(`${tag}binB`, Uint16Array, n, false),
  });
}

/**
 * The step k of the sharpness Laplacian (quality.ts): max(1, round(IOD / 96)) pixels, so a
 * crop rendered at twice the resolution is judged at the same physical scale.
 */
export function laplacianStep(scalePx: number): number {
  return Math.max(1, Math.round(scalePx / 96));
}

/** Filter margin around the ROI: covers the widest neighbourhood any measure reads. */
export function roiMargin(scalePx: number): number {
  return Math.max(8, Math.ceil(0.1 * scalePx));
}

/**
 * Build the shared context. Work is confined to the bounding box of `skin` and `extra`
 * (e.g. wrinkle zones reaching past the skin mask) plus a margin, so the cost follows the
 * face area, not the crop; within it, only the pixels a measure reads are converted (see
 * `lab`). `buffers` lends the large arrays (see MeasureBuffers).
 */
export function createMeasureContext(image: RgbImage, skin: Mask, scalePx: number, extra: readonly Mask[] = [], buffers: MeasureBuffers | null = null): MeasureContext {
  if (skin.width !== image.width || skin.height !== image.height) {
    throw new Error(`skin mask ${skin.width}×${skin.height} does not match image ${image.width}×${image.height}`);
  }
  if (!(scalePx > 0)) throw new Error(`scale must be positive, got ${scalePx}`);
  for (const m of extra) checkSize(m, image);
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (const m of [skin, ...extra]) extendBox(m, box);
  const margin = roiMargin(scalePx);
  const roi: Roi =
    box.x1 < 0
      ? { x: 0, y: 0, width: image.width, height: image.height }
      : (() => {
          const x = Math.max(0, box.x0 - margin);
          const y = Math.max(0, box.y0 - margin);
          return {
            x,
            y,
            width: Math.min(image.width, box.x1 + 1 + margin) - x,
            height: Math.min(image.height, box.y1 + 1 + margin) - y,
          };
        })();
  const n = roi.width * roi.height;
  const localSkin = cropMask(skin, roi, takeOrNew(buffers, 'skin', Uint8Array, n, false));
  const skinIdx = roiPixels(skin, roi);
  const lists = new WeakMap<Mask, Int32Array>();
  lists.set(skin, skinIdx);
  // need: L* at the Laplacian's neighbours of the skin pixels, L*a*b* at skin ∪ extra.
  const need = takeOrNew(buffers, 'need', Uint8Array, n);
  markLaplacianNeighbours(need, skinIdx, roi.width, roi.height, laplacianStep(scalePx));
  for (let k = 0; k < skinIdx.length; k++) need[skinIdx[k]] = 2;
  for (const m of extra) {
    let idx = lists.get(m);
    if (idx === undefined) lists.set(m, (idx = roiPixels(m, roi)));
    for (let k = 0; k < idx.length; k++) need[idx[k]] = 2;
  }
  const crop = cropImage(image, roi, buffers === null ? undefined : buffers.take('crop', Uint8Array, n * 3, false));
  const planes = planesFor(buffers, 'wb', roi.width, roi.height);
  convertNeeded(crop, need, planes);
  return {
    image: crop,
    lab: planes.lab,
    bins: planes,
    skin: localSkin,
    skinIdx,
    scalePx,
    roi,
    source: { image, skin },
    cache: new Map(),
    lists,
    need,
    ready: new WeakSet([skin, ...extra]),
    declared: [skin, ...extra],
    buffers,
  };
}

/** Sets need[i] = 1 at i ± k and i ± k·w of every skin pixel away from the border (where the Laplacian is taken). */
function markLaplacianNeighbours(need: Uint8Array, idx: Int32Array, w: number, h: number, k: number): void {
  const kw = k * w;
  // idx is in raster order: the row is followed, not divided out.
  let rowStart = 0, y = 0;
  for (let q = 0; q < idx.length; q++) {
    const i = idx[q];
    while (i >= rowStart + w) {
      rowStart += w;
      y++;
    }
    const x = i - rowStart;
    if (x < k || y < k || x >= w - k || y >= h - k) continue;
    need[i - k] = 1;
    need[i + k] = 1;
    need[i - kw] = 1;
    need[i + kw] = 1;
  }
}

/**
 * The same ROI, masks and pixel lists over another image of the same size (e.g. the photo as
 * taken beside its white-balanced copy): only the crop and its L*a*b* are new, at the same
 * pixels. Saves finding the ROI and indexing the masks a second time.
 */
export function contextWithImage(ctx: MeasureContext, image: RgbImage): MeasureContext {
  checkSize(image, ctx.source.image);
  const n = ctx.roi.width * ctx.roi.height;
  const buffers = ctx.buffers;
  const crop = cropImage(image, ctx.roi, buffers === null ? undefined : buffers.take('crop2', Uint8Array, n * 3, false));
  const need = takeOrNew(buffers, 'need2', Uint8Array, n, false);
  need.set(ctx.need);
  const planes = planesFor(buffers, 'taken', ctx.roi.width, ctx.roi.height);
  convertNeeded(crop, need, planes);
  return {
    ...ctx,
    image: crop,
    lab: planes.lab,
    bins: planes,
    source: { image, skin: ctx.source.skin },
    cache: new Map(),
    need,
    ready: new WeakSet(ctx.declared),
  };
}

function checkSize(m: { width: number; height: number }, image: RgbImage): void {
  if (m.width !== image.width || m.height !== image.height) {
    throw new Error(`mask ${m.width}×${m.height} does not match image ${image.width}×${image.height}`);
  }
}

/** Pixel indices (ROI coordinates) of a full-size mask, computed once per mask and context. */
export function pixelsOf(ctx: MeasureContext, mask: Mask): Int32Array {
  let idx = ctx.lists.get(mask);
  if (idx === undefined) {
    checkSize(mask, ctx.source.image);
    ctx.lists.set(mask, (idx = roiPixels(mask, ctx.roi)));
  }
  // A mask the context was not made with: its pixels get L*a*b* now (a no-op for the others).
  if (!ctx.ready.has(mask)) {
    convertAt(ctx.image, idx, ctx.need, { lab: ctx.lab, ...ctx.bins });
    ctx.ready.add(mask);
  }
  return idx;
}

/** Union of pixel index lists (unordered, each pixel once). */
export function unionPixels(ctx: MeasureContext, lists: readonly Int32Array[]): Int32Array {
  if (lists.length === 1) return lists[0];
  // A lent `seen` is all zero between calls: the pixels marked here are cleared again below.
  const seen = takeOrNew(ctx.buffers, 'seen', Uint8Array, ctx.image.width * ctx.image.height, false);
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Int32Array(total);
  let n = 0;
  for (const l of lists) {
    for (let k = 0; k < l.length; k++) {
      const i = l[k];
      if (seen[i] === 0) {
        seen[i] = 1;
        out[n++] = i;
      }
    }
  }
  for (let k = 0; k < n; k++) seen[out[k]] = 0;
  return out.subarray(0, n);
}

/**
 * Mask (ROI size) from pixel indices. When the pixels are exactly the skin's (a union with
 * the skin list that added nothing), the context's own skin mask is returned, so integral
 * images over it are shared (skinLIntegral is built once per context).
 */
export function maskFromPixels(ctx: MeasureContext, idx: Int32Array): Mask {
  if (idx.length === ctx.skinIdx.length && sameAsSkin(ctx, idx)) return ctx.skin;
  const data = new Uint8Array(ctx.image.width * ctx.image.height);
  for (let k = 0; k < idx.length; k++) data[idx[k]] = 1;
  return { width: ctx.image.width, height: ctx.image.height, data };
}

function sameAsSkin(ctx: MeasureContext, idx: Int32Array): boolean {
  const s = ctx.skin.data;
  for (let k = 0; k < idx.length; k++) if (s[idx[k]] === 0) return false;
  return true;
}

/**
 * Grows `box` to cover the set pixels of `m`. Rows already inside the box's vertical range are
 * only searched left of x0 and right of x1, so a mask inside the box (a region of the skin)
 * costs a few reads per row.
 */
function extendBox(m: Mask, box: { x0: number; y0: number; x1: number; y1: number }): void {
  const w = m.width;
  const d = m.data;
  // All-zero 4-byte words are skipped (rows of width divisible by 4, aligned data).
  const u32 = wordView(d, w, m.height);
  for (let y = 0; y < m.height; y++) {
    const row = y * w;
    if (y >= box.y0 && y <= box.y1) {
      let x = 0;
      if (u32 !== null) while (x + 4 <= box.x0 && u32[(row + x) >> 2] === 0) x += 4;
      for (; x < box.x0; x++) {
        if (d[row + x] !== 0) {
          box.x0 = x;
          break;
        }
      }
      x = w - 1;
      if (u32 !== null) while (x - 3 > box.x1 && u32[(row + x - 3) >> 2] === 0) x -= 4;
      for (; x > box.x1; x--) {
        if (d[row + x] !== 0) {
          box.x1 = x;
          break;
        }
      }
      continue;
    }
    const a = firstSetInRow(d, u32, row, w);
    if (a === w) continue;
    const b = lastSetInRow(d, row, w);
    if (a < box.x0) box.x0 = a;
    if (b > box.x1) box.x1 = b;
    if (y < box.y0) box.y0 = y;
    if (y > box.y1) box.y1 = y;
  }
}

/** The ROI of an image (the image itself when the ROI is all of it), into `data` when given. */
export function cropImage(image: RgbImage, roi: Roi, data: Uint8Array = new Uint8Array(roi.width * roi.height * 3)): RgbImage {
  if (roi.x === 0 && roi.y === 0 && roi.width === image.width && roi.height === image.height) return image;
  for (let y = 0; y < roi.height; y++) {
    const s = ((roi.y + y) * image.width + roi.x) * 3;
    data.set(image.data.subarray(s, s + roi.width * 3), y * roi.width * 3);
  }
  return { width: roi.width, height: roi.height, data };
}

function cropMask(mask: Mask, roi: Roi, data: Uint8Array): Mask {
  for (let y = 0; y < roi.height; y++) {
    const s = (roi.y + y) * mask.width + roi.x;
    data.set(mask.data.subarray(s, s + roi.width), y * roi.width);
  }
  return { width: roi.width, height: roi.height, data };
}

/**
 * Indices (ROI coordinates, raster order) of the set pixels of a full-size mask inside `roi`,
 * read straight from the mask without cropping it. Each row's aligned middle is read as 4-byte
 * words and all-zero words are skipped (a region's mask is mostly zero); the row's ends byte by byte.
 */
function roiPixels(mask: Mask, roi: Roi): Int32Array {
  const d = mask.data;
  const u32 = d.byteOffset % 4 === 0 ? new Uint32Array(d.buffer, d.byteOffset, d.length >> 2) : null;
  // Written into one array the size of the ROI (no growing), returned as an exact copy.
  const out = scratchIndices(roi.width * roi.height);
  let n = 0;
  for (let y = 0; y < roi.height; y++) {
    const start = (roi.y + y) * mask.width + roi.x;
    const end = start + roi.width;
    const shift = y * roi.width - start;
    let i = start;
    if (u32 !== null) {
      const headEnd = Math.min(end, (start + 3) & ~3);
      for (; i < headEnd; i++) if (d[i] !== 0) out[n++] = i + shift;
      const wordEnd = end >> 2;
      for (let q = i >> 2; q < wordEnd; q++) {
        if (u32[q] === 0) continue;
        const p = q << 2;
        if (d[p] !== 0) out[n++] = p + shift;
        if (d[p + 1] !== 0) out[n++] = p + 1 + shift;
        if (d[p + 2] !== 0) out[n++] = p + 2 + shift;
        if (d[p + 3] !== 0) out[n++] = p + 3 + shift;
      }
      i = Math.max(i, wordEnd << 2);
    }
    for (; i < end; i++) if (d[i] !== 0) out[n++] = i + shift;
  }
  return out.slice(0, n);
}

let indexScratch = new Int32Array(0);
function scratchIndices(n: number): Int32Array {
  if (indexScratch.length < n) indexScratch = new Int32Array(n);
  return indexScratch;
}

/**
 * Minimum pixels for a region statistic: a disc about a tenth of the inter-ocular distance
 * across (≈ 6 mm), and never under 30 pixels. Smaller regions report null / unavailable.
 */
export function minRegionPixels(scalePx: number): number {
  return Math.max(30, Math.round((0.1 * scalePx) ** 2));
}

/**
 * Quantiles of n samples from their histogram (bin width 1/binsPerUnit from `lo`, linear within
 * a bin; `hi` when past the last): O(n + bins) instead of a sort. NaN when empty.
 */
export function histQuantiles(hist: Uint32Array, n: number, qs: readonly number[], lo: number, hi: number, binsPerUnit: number): number[] {
  const bins = hist.length;
  if (n === 0) return qs.map(() => NaN);
  return qs.map((q) => {
    const target = q * n;
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      const c = hist[b];
      if (acc + c >= target && c > 0) {
        const frac = (target - acc) / c;
        return lo + (b + frac) / binsPerUnit;
      }
      acc += c;
    }
    return hi;
  });
}

/**
 * Integral images of `values·mask` and of `mask` ((w+1)×(h+1); sums in float64, counts in
 * int32): any box mean over the masked pixels only (normalised convolution, Knutsson & Westin
 * 1993) in O(1).
 */
export interface MaskedIntegral {
  readonly width: number;
  readonly height: number;
  readonly sum: Float64Array;
  readonly count: Int32Array;
}

function buildIntegral(values: Float32Array, mask: Mask, buffers: MeasureBuffers | null): MaskedIntegral {
  const w = mask.width;
  const h = mask.height;
  const W = w + 1;
  // Row 0 and column 0 stay 0; every other entry is written below.
  const sum = takeOrNew(buffers, 'integralSum', Float64Array, W * (h + 1));
  const count = takeOrNew(buffers, 'integralCount', Int32Array, W * (h + 1));
  const md = mask.data;
  for (let y = 0; y < h; y++) {
    let rs = 0;
    let rc = 0;
    const row = y * w;
    const o = (y + 1) * W;
    const p = y * W;
    for (let x = 0; x < w; x++) {
      if (md[row + x] !== 0) {
        rs += values[row + x];
        rc += 1;
      }
      sum[o + x + 1] = sum[p + x + 1] + rs;
      count[o + x + 1] = count[p + x + 1] + rc;
    }
  }
  return { width: w, height: h, sum, count };
}

/** Get or build a cached value. */
export function cached<T>(ctx: MeasureContext, key: string, build: () => T): T {
  if (ctx.cache.has(key)) return ctx.cache.get(key) as T;
  const v = build();
  ctx.cache.set(key, v);
  return v;
}

/**
 * L* of the skin pixels as a masked integral image (shared by texture and skin type), once per
 * context; the one integral whose arrays the context's buffers lend.
 */
export function skinLIntegral(ctx: MeasureContext): MaskedIntegral {
  return cached(ctx, 'skinLIntegral', () => buildIntegral(ctx.lab.L, ctx.skin, ctx.buffers));
}

export const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
export const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
