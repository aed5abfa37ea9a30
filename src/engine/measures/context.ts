/**
 * The shared, precomputed state of one measurement: L*a*b* planes computed once, pixel index
 * lists of the masks, masked integral images for box filters, and small statistics helpers.
 * Everything here works on typed arrays; nothing allocates per pixel.
 */
import type { Mask, RgbImage } from '../image.ts';
import { imageToLab, type LabImage } from './color.ts';

export interface Roi {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MeasureContext {
  /** The analysed part of the crop: bounding box of the skin (and extra masks) plus a filter margin. */
  readonly image: RgbImage;
  /** L*a*b* of `image`, computed once. */
  readonly lab: LabImage;
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
  /** Full-size masks cropped to the ROI, per source mask. */
  readonly local: WeakMap<Mask, Mask>;
}

/** Filter margin around the ROI: covers the widest neighbourhood any measure reads. */
export function roiMargin(scalePx: number): number {
  return Math.max(8, Math.ceil(0.1 * scalePx));
}

/**
 * Build the shared context. Work is confined to the bounding box of `skin` and `extra`
 * (e.g. wrinkle zones reaching past the skin mask) plus a margin, so the cost follows the
 * face area, not the crop.
 */
export function createMeasureContext(image: RgbImage, skin: Mask, scalePx: number, extra: readonly Mask[] = []): MeasureContext {
  if (skin.width !== image.width || skin.height !== image.height) {
    throw new Error(`skin mask ${skin.width}×${skin.height} does not match image ${image.width}×${image.height}`);
  }
  if (!(scalePx > 0)) throw new Error(`scale must be positive, got ${scalePx}`);
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
  const crop = cropImage(image, roi);
  const localSkin = cropMask(skin, roi);
  const local = new WeakMap<Mask, Mask>();
  local.set(skin, localSkin);
  return {
    image: crop,
    lab: imageToLab(crop),
    skin: localSkin,
    skinIdx: maskPixels(localSkin),
    scalePx,
    roi,
    source: { image, skin },
    cache: new Map(),
    local,
  };
}

/** A full-size mask cropped to the context's ROI (cached). */
export function localMask(ctx: MeasureContext, mask: Mask): Mask {
  let m = ctx.local.get(mask);
  if (m === undefined) {
    if (mask.width !== ctx.source.image.width || mask.height !== ctx.source.image.height) {
      throw new Error(`mask ${mask.width}×${mask.height} does not match image ${ctx.source.image.width}×${ctx.source.image.height}`);
    }
    m = cropMask(mask, ctx.roi);
    ctx.local.set(mask, m);
  }
  return m;
}

const pixelLists = new WeakMap<MeasureContext, WeakMap<Mask, Int32Array>>();

/** Pixel indices (ROI coordinates) of a full-size mask, computed once per mask and context. */
export function pixelsOf(ctx: MeasureContext, mask: Mask): Int32Array {
  let lists = pixelLists.get(ctx);
  if (!lists) pixelLists.set(ctx, (lists = new WeakMap()));
  let idx = lists.get(mask);
  if (!idx) lists.set(mask, (idx = maskPixels(localMask(ctx, mask))));
  return idx;
}

/** Union of pixel index lists (unordered, each pixel once). */
export function unionPixels(ctx: MeasureContext, lists: readonly Int32Array[]): Int32Array {
  const seen = new Uint8Array(ctx.image.width * ctx.image.height);
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
  return out.subarray(0, n);
}

/** Mask (ROI size) from pixel indices. */
export function maskFromPixels(ctx: MeasureContext, idx: Int32Array): Mask {
  const data = new Uint8Array(ctx.image.width * ctx.image.height);
  for (let k = 0; k < idx.length; k++) data[idx[k]] = 1;
  return { width: ctx.image.width, height: ctx.image.height, data };
}

function extendBox(m: Mask, box: { x0: number; y0: number; x1: number; y1: number }): void {
  const w = m.width;
  const d = m.data;
  const words = d.byteOffset % 4 === 0 ? d.length >> 2 : 0;
  const u32 = words > 0 ? new Uint32Array(d.buffer, d.byteOffset, words) : new Uint32Array(0);
  // Zero runs are skipped four bytes at a time.
  for (let q = 0, i = 0; i < d.length; ) {
    if (q < words && u32[q] === 0) {
      q++;
      i += 4;
      continue;
    }
    const end = q < words ? i + 4 : i + 1;
    for (; i < end; i++) {
      if (d[i] === 0) continue;
      const y = (i / w) | 0;
      const x = i - y * w;
      if (x < box.x0) box.x0 = x;
      if (x > box.x1) box.x1 = x;
      if (y < box.y0) box.y0 = y;
      if (y > box.y1) box.y1 = y;
    }
    if (q < words) q++;
  }
}

export function cropImage(image: RgbImage, roi: Roi): RgbImage {
  if (roi.x === 0 && roi.y === 0 && roi.width === image.width && roi.height === image.height) return image;
  const data = new Uint8Array(roi.width * roi.height * 3);
  for (let y = 0; y < roi.height; y++) {
    const s = ((roi.y + y) * image.width + roi.x) * 3;
    data.set(image.data.subarray(s, s + roi.width * 3), y * roi.width * 3);
  }
  return { width: roi.width, height: roi.height, data };
}

export function cropMask(mask: Mask, roi: Roi): Mask {
  const data = new Uint8Array(roi.width * roi.height);
  for (let y = 0; y < roi.height; y++) {
    const s = (roi.y + y) * mask.width + roi.x;
    data.set(mask.data.subarray(s, s + roi.width), y * roi.width);
  }
  return { width: roi.width, height: roi.height, data };
}

/**
 * Minimum pixels for a region statistic: a disc about a tenth of the inter-ocular distance
 * across (≈ 6 mm), and never under 30 pixels. Smaller regions report null / unavailable.
 */
export function minRegionPixels(scalePx: number): number {
  return Math.max(30, Math.round((0.1 * scalePx) ** 2));
}

const indexCache = new WeakMap<Mask, Int32Array>();

/** Indices `y * width + x` of the pixels set in a mask (cached per mask object). */
export function maskPixels(mask: Mask): Int32Array {
  const hit = indexCache.get(mask);
  if (hit) return hit;
  const d = mask.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; k < n; i++) if (d[i] !== 0) out[k++] = i;
  indexCache.set(mask, out);
  return out;
}

/**
 * Quantiles of `values` at the given pixels from a histogram (bin width 1/binsPerUnit over
 * [lo, hi], linear within a bin): O(n + bins) instead of a sort.
 * With `keep`, only pixels where keep[i] is set count.
 */
export function quantilesAt(
  values: Float32Array,
  idx: Int32Array,
  qs: readonly number[],
  lo: number,
  hi: number,
  binsPerUnit = 10,
  keep?: Uint8Array,
): number[] {
  const bins = Math.ceil((hi - lo) * binsPerUnit);
  const hist = new Uint32Array(bins);
  let n = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (keep !== undefined && keep[i] === 0) continue;
    let bin = Math.floor((values[i] - lo) * binsPerUnit);
    if (bin < 0) bin = 0;
    else if (bin >= bins) bin = bins - 1;
    hist[bin]++;
    n++;
  }
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
 * Integral images of `values·mask` and of `mask` ((w+1)×(h+1), float64): any box mean over
 * the masked pixels only (normalised convolution, Knutsson & Westin 1993) in O(1).
 */
export interface MaskedIntegral {
  readonly width: number;
  readonly height: number;
  readonly sum: Float64Array;
  readonly count: Float64Array;
}

export function maskedIntegral(values: Float32Array, mask: Mask): MaskedIntegral {
  const w = mask.width;
  const h = mask.height;
  const W = w + 1;
  const sum = new Float64Array(W * (h + 1));
  const count = new Float64Array(W * (h + 1));
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

/** L* of the skin pixels as a masked integral image (shared by texture and skin type). */
export function skinLIntegral(ctx: MeasureContext): MaskedIntegral {
  return cached(ctx, 'skinLIntegral', () => maskedIntegral(ctx.lab.L, ctx.skin));
}

export const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
export const round = (v: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
