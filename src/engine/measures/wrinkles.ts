/**
 * Wrinkles: density of line-like dark ridges of L* in each wrinkle zone.
 *
 * Ridge measure: the Hessian of L* smoothed at scale s, with Frangi's anisotropy term
 * (Frangi, Niessen, Vincken & Viergever 1998, "Multiscale vessel enhancement filtering",
 * MICCAI, eq. 13–15, 2-D form). A wrinkle is a valley of L* (darker line on lighter skin), so
 * the larger-magnitude eigenvalue λ2 is positive across it and λ1 ≈ 0 along it:
 *     R = λ2 · exp(−(λ1/λ2)² / (2β²))   when λ2 > 0, else 0,   β = 0.5.
 * Blobs (pores, spots: |λ1| ≈ |λ2|) are suppressed by the exponential term; Frangi's
 * structure term is replaced by an absolute threshold so densities compare across faces.
 * Derivatives are scale-normalised second differences (Lindeberg 1998, γ = 2) of a masked
 * box mean: smoothing box radius r, difference step d = 2r + 1, so for a dark line exactly
 * one box wide R ≈ 2 × its depth in L*. Two scales, r = 0.012·IOD and twice that (≈ 1–2 mm
 * and 2–4 mm wide lines at IOD ≈ 63 mm), maximum response kept.
 * Smoothing is normalised convolution over skin ∪ wrinkle zones, so eyes, brows and hair do
 * not create ridges at the zone borders.
 *
 * Zone density = fraction of the zone's pixels with R > WRINKLE_RIDGE_THRESHOLD (1 L*: a line
 * about 0.5 L* darker than its surroundings). The forehead counts horizontal lines only (the
 * across-line eigenvector within 30° of vertical; forehead lines are horizontal, Lemperle et al.
 * 2001, "A classification of facial wrinkles", Plast Reconstr Surg 108:1735) at the base scale
 * only: hairlines, brow shadows and the vertical glabellar fold no longer count as forehead lines.
 * Overall density = the mean of the four zones' densities and the cheeks' (cheek lines, also
 * a class of Lemperle's; the cheeks have no zone score), each relative to its own detection
 * density and brought back to the scale of all five (a part that is not measured is made up
 * for by the rest), so each counts once (pooling pixels let the large forehead outweigh the
 * rest). A zone is `detected` when its density ≥ its WRINKLE_ZONE_THRESHOLDS entry; overall
 * `detected` when the overall density ≥ WRINKLE_DENSITY_THRESHOLD (so `detected` and the score's
 * "below good" always agree).
 *
 * All chosen on the validation half of the UTKFace portraits (npm run validity -- --half
 * validation, 283 faces; the README gives the test half), by Spearman ρ of density with age:
 * - ridge thresholds 0.5–6 L* and smoothing scales ×1…×4: 1 L* with the scales ×1, ×2 was best
 *   for the zones together (crow's feet 0.28 → 0.32 against 2 L*; larger scales did not help);
 * - forehead, thresholds 0.5–3 L* × scale sets {1, 2, 3, 12, 23, 123} × all or horizontal lines:
 *   horizontal lines at ×1 and 1 L*, 0.26 (all lines at ×1, ×2: 0.19); crow's feet, under-eye and
 *   nasolabial gained ≤ 0.03 from any variant and keep ×1, ×2 and all orientations;
 * - overall: the mean of the four zones 0.41 (pooled pixels 0.33); with the cheeks (ρ 0.42 on
 *   their own, the strongest single cue found) and the new forehead, 0.46.
 * Each detection density lies midway between the validation medians of that density at
 * 16–29 years and at 45–60: overall 0.26 / 0.35 → 0.30; forehead 0.061 / 0.101 → 0.081; crow's
 * feet 0.26 / 0.36 → 0.31; under-eye 0.32 / 0.42 → 0.37; nasolabial 0.42 / 0.49 → 0.45; cheeks
 * 0.23 / 0.36 → 0.295.
 *
 * Cost: everything stays within the bounding box of the zones; the Frangi exponential is only
 * evaluated where λ2 exceeds the threshold (R ≤ λ2, so nothing below it can count). When every
 * zone pixel is skin (always, in the pipeline) the support is the skin, and the skin's L* integral,
 * which texture and skin type build anyway, serves the smoothing (same box sums: skinIntegral).
 */
import type { Mask } from '../image.ts';
import type { Wrinkles } from '../result/schema.ts';
import type { WrinkleZoneName } from './types.ts';
import { WRINKLE_ZONES } from './types.ts';
import { minRegionPixels, pixelsOf, round, skinLIntegral, takeOrNew, unionPixels, type MeasureContext } from './context.ts';

export const WRINKLE_RIDGE_THRESHOLD = 1;
export const WRINKLE_DENSITY_THRESHOLD = 0.30;
export const WRINKLE_ZONE_THRESHOLDS: Readonly<Record<WrinkleZoneName, number>> = {
  forehead: 0.081,
  crows_feet: 0.31,
  under_eye: 0.37,
  nasolabial: 0.45,
};
export const WRINKLE_SCALE = 0.012;
/** Forehead: only lines within 30° of horizontal count (sin 60°), at the base scale only. */
const HORIZONTAL_MIN_SIN = Math.sin(Math.PI / 3);
export const FOREHEAD_SCALES = [1] as const;
/** Detection density of the cheeks, which count towards the overall density but have no zone score. */
export const WRINKLE_CHEEK_THRESHOLD = 0.295;
/** Mean detection density of the five parts of the overall density (four zones and the cheeks). */
export const WRINKLE_OVERALL_SCALE = (WRINKLE_ZONES.reduce((s, z) => s + WRINKLE_ZONE_THRESHOLDS[z], 0) + WRINKLE_CHEEK_THRESHOLD) / (WRINKLE_ZONES.length + 1);
/** Multiples of the base smoothing radius at which ridges are looked for. */
export const WRINKLE_SCALES = [1, 2] as const;
const BETA = 0.5;

/**
 * Ridge responses of the pixels of `idx`, laid out over their bounding box (NaN where the
 * filter has no support). Exact above the threshold (WRINKLE_RIDGE_THRESHOLD unless given); 0 stands for anything at or below it.
 */
export interface RidgeMap {
  readonly R: Float32Array;
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
}

/**
 * Ridge response R at every pixel of `idx` (ROI indices), the maximum over `scales`.
 * All work stays inside the bounding box of `idx` grown by the widest filter: one masked
 * integral image of L* over the support (normalised convolution; the context's skin integral when
 * `support` is `ctx.skin.data` itself), one box-mean plane per scale.
 */
export function ridgeResponse(
  ctx: MeasureContext,
  support: Uint8Array,
  idx: Int32Array,
  scales: readonly number[] = WRINKLE_SCALES,
  horizontalOnly = false,
  threshold = WRINKLE_RIDGE_THRESHOLD,
): RidgeMap {
  const { width: w, height: h } = ctx.image;
  let bx0 = w, by0 = h, bx1 = -1, by1 = -1;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const y = (i / w) | 0;
    const x = i - y * w;
    if (x < bx0) bx0 = x;
    if (x > bx1) bx1 = x;
    if (y < by0) by0 = y;
    if (y > by1) by1 = y;
  }
  const rw = Math.max(0, bx1 - bx0 + 1);
  // Lent by the context's buffers, each map of a measurement its own (numbered in the context):
  // valid until the next measurement, as the context is.
  const n = rw * Math.max(0, by1 - by0 + 1);
  const R = (ctx.buffers === null ? new Float32Array(n) : ctx.buffers.take(`ridgeMap${mapNumber(ctx)}`, Float32Array, n, false)).fill(NaN);
  const map = { R, x0: bx0, y0: by0, width: rw };
  if (rw === 0) return map;
  const r0 = Math.max(1, Math.round(WRINKLE_SCALE * ctx.scalePx));
  const rMax = Math.max(...scales) * r0;
  const I = support === ctx.skin.data ? skinIntegral(ctx) : supportIntegral(ctx, support, bx0, by0, bx1, by1, 3 * rMax + 1);
  const { sum, count: cnt, x0: ix0, y0: iy0, W } = I;
  const ix1 = ix0 + W - 2, iy1 = iy0 + I.height - 1;
  const twoB2 = 2 * BETA * BETA;
  for (const f of scales) {
    const r = f * r0;
    const d = 2 * r + 1;
    const minCount = Math.max(1, (r + 1) * (r + 1));
    // Masked box mean S over the bounding box grown by the difference step d (clipped to the ROI).
    const sx0 = Math.max(0, bx0 - d), sy0 = Math.max(0, by0 - d);
    const sw = Math.min(w - 1, bx1 + d) - sx0 + 1, sh = Math.min(h - 1, by1 + d) - sy0 + 1;
    // Every value is written below before it is read: lent without zeroing.
    const S = takeOrNew(ctx.buffers, 'ridgeMean', Float32Array, sw * sh, false);
    // The box's columns in the integral, clamped to it once per column, not per pixel.
    const xa = takeOrNew(ctx.buffers, 'ridgeXa', Int32Array, sw, false), xb = takeOrNew(ctx.buffers, 'ridgeXb', Int32Array, sw, false);
    for (let x = 0; x < sw; x++) {
      const gx = x + sx0;
      xa[x] = (gx - r < ix0 ? ix0 : gx - r) - ix0;
      xb[x] = (gx + r > ix1 ? ix1 : gx + r) + 1 - ix0;
    }
    for (let y = 0; y < sh; y++) {
      const gy = y + sy0;
      const ra = ((gy - r < iy0 ? iy0 : gy - r) - iy0) * W;
      const rb = ((gy + r > iy1 ? iy1 : gy + r) + 1 - iy0) * W;
      const o = y * sw;
      for (let x = 0; x < sw; x++) {
        const a = xa[x], b = xb[x];
        const c = cnt[rb + b] - cnt[rb + a] - cnt[ra + b] + cnt[ra + a];
        S[o + x] = c < minCount ? NaN : (sum[rb + b] - sum[rb + a] - sum[ra + b] + sum[ra + a]) / c;
      }
    }
    const dw = d * sw;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      const gy = (i / w) | 0;
      const gx = i - gy * w;
      if (gx < d || gy < d || gx >= w - d || gy >= h - d) continue;
      const j = (gy - sy0) * sw + gx - sx0;
      const c = S[j];
      const sxx = S[j + d] - 2 * c + S[j - d];
      const syy = S[j + dw] - 2 * c + S[j - dw];
      const sxy = (S[j + dw + d] - S[j - dw + d] - S[j + dw - d] + S[j - dw - d]) / 4;
      if (Number.isNaN(sxx + syy + sxy)) continue;
      const half = (sxx + syy) / 2;
      const disc = Math.sqrt(((sxx - syy) / 2) ** 2 + sxy * sxy);
      const e1 = half + disc;
      const e2 = half - disc;
      // λ2: the eigenvalue of larger magnitude.
      const l2 = Math.abs(e1) >= Math.abs(e2) ? e1 : e2;
      const l1 = l2 === e1 ? e2 : e1;
      let resp = 0;
      // The across-line direction (eigenvector of λ2 = e1) is at θ = ½·atan2(2·sxy, sxx − syy) from
      // the x axis; a horizontal line has it vertical: |sin θ| ≥ HORIZONTAL_MIN_SIN.
      if (l2 > threshold && (!horizontalOnly || Math.abs(Math.sin(Math.atan2(2 * sxy, sxx - syy) / 2)) >= HORIZONTAL_MIN_SIN)) {
        const rb2 = l1 / l2;
        resp = l2 * Math.exp(-(rb2 * rb2) / twoB2);
      }
      const o = (gy - by0) * rw + gx - bx0;
      const prev = R[o];
      if (Number.isNaN(prev) || resp > prev) R[o] = resp;
    }
  }
  return map;
}

/** 0, 1, … for the ridge maps made in a context. */
function mapNumber(ctx: MeasureContext): number {
  const k = (ctx.cache.get('ridgeMaps') as number | undefined) ?? 0;
  ctx.cache.set('ridgeMaps', k + 1);
  return k;
}

/** Masked integral of L* with its origin in ROI coordinates; `height` rows of W − 1 pixels. */
interface BoxIntegral {
  readonly sum: Float64Array;
  readonly count: Int32Array;
  readonly x0: number;
  readonly y0: number;
  readonly W: number;
  readonly height: number;
}

/**
 * The support is the skin (the pipeline: every zone is drawn AND the skin): the context's skin-L*
 * integral, shared with texture and skin type. Its sums start at the ROI's corner, not the zones'
 * box, yet every box sum is the same float64: L* is a float32 (a multiple of 2^-29 at its smallest,
 * sRGB (0, 0, 1)) and a ROI of up to 2^24 / 100 pixels sums exactly within 53 bits, in any order.
 */
function skinIntegral(ctx: MeasureContext): BoxIntegral {
  const I = skinLIntegral(ctx);
  return { sum: I.sum, count: I.count, x0: 0, y0: 0, W: I.width + 1, height: I.height };
}

/** Integral of L*·support and support over the zones' box grown by `grow` (clipped to the ROI); lent, never kept past the call. */
function supportIntegral(ctx: MeasureContext, support: Uint8Array, bx0: number, by0: number, bx1: number, by1: number, grow: number): BoxIntegral {
  const { width: w, height: h } = ctx.image;
  const ix0 = Math.max(0, bx0 - grow), iy0 = Math.max(0, by0 - grow);
  const ix1 = Math.min(w - 1, bx1 + grow), iy1 = Math.min(h - 1, by1 + grow);
  const iw = ix1 - ix0 + 1, ih = iy1 - iy0 + 1, W = iw + 1;
  // Zeroed: row 0 and column 0 are read as 0.
  const sum = takeOrNew(ctx.buffers, 'ridgeSum', Float64Array, W * (ih + 1));
  const cnt = takeOrNew(ctx.buffers, 'ridgeCount', Int32Array, W * (ih + 1));
  const L = ctx.lab.L;
  for (let y = 0; y < ih; y++) {
    let rs = 0, rc = 0;
    const src = (y + iy0) * w + ix0;
    const o = (y + 1) * W, p = y * W;
    for (let x = 0; x < iw; x++) {
      if (support[src + x] !== 0) {
        rs += L[src + x];
        rc += 1;
      }
      sum[o + x + 1] = sum[p + x + 1] + rs;
      cnt[o + x + 1] = cnt[p + x + 1] + rc;
    }
  }
  return { sum, count: cnt, x0: ix0, y0: iy0, W, height: ih };
}

export function measureWrinkles(ctx: MeasureContext, zones: Partial<Record<WrinkleZoneName, Mask>>, cheeks: readonly Mask[] = []): Wrinkles {
  const present = WRINKLE_ZONES.filter((z) => zones[z] !== undefined).map((z) => pixelsOf(ctx, zones[z] as Mask));
  if (present.length === 0) return { available: false, reason: 'no wrinkle zones' };
  const zoneIdx = unionPixels(ctx, present);
  const minPx = minRegionPixels(ctx.scalePx);
  if (zoneIdx.length < minPx) return { available: false, reason: `wrinkle zones too small (${zoneIdx.length} px)` };
  const cheekIdx = unionPixels(ctx, cheeks.map((m) => pixelsOf(ctx, m)));
  const foreheadIdx = zones.forehead ? pixelsOf(ctx, zones.forehead) : new Int32Array(0);
  // The main map covers the other zones and the cheeks; the forehead has its own (one scale, horizontal lines).
  const mainIdx = unionPixels(ctx, [...WRINKLE_ZONES.filter((z) => z !== 'forehead' && zones[z] !== undefined).map((z) => pixelsOf(ctx, zones[z] as Mask)), cheekIdx]);
  // Smoothing support: skin ∪ wrinkle zones; the skin's own mask (and its integral) when no zone pixel lies outside it.
  const skin = ctx.skin.data;
  let outside = 0;
  for (let k = 0; k < zoneIdx.length; k++) if (skin[zoneIdx[k]] === 0) outside++;
  const support = outside === 0 ? skin : skin.slice();
  if (outside > 0) for (let k = 0; k < zoneIdx.length; k++) support[zoneIdx[k]] = 1;
  const main = ridgeResponse(ctx, support, mainIdx);
  const forehead = ridgeResponse(ctx, support, foreheadIdx, FOREHEAD_SCALES, true);
  const w = ctx.image.width;

  const count = (idx: Int32Array, map: RidgeMap): { hits: number; valid: number } => {
    const { R, x0, y0, width: rw } = map;
    let hits = 0, valid = 0;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      const y = (i / w) | 0;
      const v = R[(y - y0) * rw + i - y * w - x0];
      if (Number.isNaN(v)) continue;
      valid++;
      if (v > WRINKLE_RIDGE_THRESHOLD) hits++;
    }
    return { hits, valid };
  };

  const perRegion = {} as Record<WrinkleZoneName, { detected: boolean; density: number } | null>;
  let sum = 0, thresholdSum = 0, zonesMeasured = 0;
  for (const z of WRINKLE_ZONES) {
    const m = zones[z];
    if (!m) {
      perRegion[z] = null;
      continue;
    }
    const c = count(pixelsOf(ctx, m), z === 'forehead' ? forehead : main);
    if (c.valid < minPx) {
      perRegion[z] = null;
      continue;
    }
    const density = c.hits / c.valid;
    sum += density;
    thresholdSum += WRINKLE_ZONE_THRESHOLDS[z];
    zonesMeasured++;
    perRegion[z] = { detected: density >= WRINKLE_ZONE_THRESHOLDS[z], density: round(density, 4) };
  }
  if (zonesMeasured === 0) return { available: false, reason: 'wrinkle zones too small or too close to the crop border' };
  if (cheekIdx.length > 0) {
    const c = count(cheekIdx, main);
    if (c.valid >= minPx) {
      sum += c.hits / c.valid;
      thresholdSum += WRINKLE_CHEEK_THRESHOLD;
    }
  }
  // The mean of the parts' densities, each relative to its own detection density and brought back
  // to the scale of all five: with one missing (a zone at the crop border) the overall figure is
  // not pulled down or up by which part it was (nasolabial densities run about 5x the forehead's).
  const density = (sum / thresholdSum) * WRINKLE_OVERALL_SCALE;
  return {
    available: true,
    detected: density >= WRINKLE_DENSITY_THRESHOLD,
    density: round(density, 4),
    per_region: perRegion,
  };
}
