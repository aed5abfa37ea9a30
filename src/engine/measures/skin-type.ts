/**
 * Skin type (oily / dry / normal / combination) from surface shine and texture.
 *
 * Shine pixel (specular reflection of sebum: brighter than the surrounding skin and whiter,
 * since specular light keeps the illuminant's colour, dichromatic reflection model, Shafer 1985):
 *   L* ≥ local mean L* + 8, and C*ab ≤ 0.7 × median skin chroma or clipped (any channel ≥ 250).
 * A clipped pixel counts only when it stands out from its neighbourhood: a brighter exposure
 * that clips whole areas of skin is not shine (it moved oiliness by up to 97 points in the
 * repeatability run when every clipped pixel counted).
 * where the local mean is a masked box mean over skin of radius 0.1·IOD (≈ 6 mm).
 * shine(zone) = fraction of shine pixels; T-zone = forehead + nose + chin, cheeks = both cheeks.
 *
 * Rule (SKIN_TYPE_RULE, also returned as `rule`):
 *   oily         if shine(T) ≥ 4 % and shine(cheeks) ≥ 4 %
 *   combination  if shine(T) ≥ 4 % and shine(cheeks) < 4 %
 *   dry          if shine(T) < 1.5 % and shine(cheeks) < 1.5 % and roughness ≥ 0.5
 *   normal       otherwise
 * roughness = 1 − texture quality of the cheek skin (texture.ts).
 * Confidence = 0.4 + 0.4 × (relative margin of the deciding values to their thresholds, capped at 1):
 * at most 0.8, because one photo under unknown lighting cannot separate sebum shine from
 * lighting shine for sure.
 */
import type { Mask } from '../image.ts';
import type { SkinType } from '../result/schema.ts';
import {
  cached, clamp01, histQuantiles, maskFromPixels, minRegionPixels, pixelsOf, round, skinLIntegral, unionPixels, type MeasureContext,
} from './context.ts';
import { CLIPPED } from './lab-planes.ts';
import { measureTexture } from './texture.ts';

export const SHINE_OILY = 0.04;
export const SHINE_DRY = 0.015;
export const ROUGH_DRY = 0.5;
export const SHINE_DL = 8;
export const SHINE_CHROMA_RATIO = 0.7;
export const SKIN_TYPE_RULE =
  `oily if shine(T-zone) ≥ ${SHINE_OILY} and shine(cheeks) ≥ ${SHINE_OILY}; ` +
  `combination if shine(T-zone) ≥ ${SHINE_OILY} and shine(cheeks) < ${SHINE_OILY}; ` +
  `dry if both shines < ${SHINE_DRY} and roughness ≥ ${ROUGH_DRY}; normal otherwise ` +
  `(shine = fraction of pixels ≥ ${SHINE_DL} L* above the local skin mean with chroma ≤ ${SHINE_CHROMA_RATIO}× the skin median or clipped)`;

export interface SkinTypeRegions {
  forehead?: Mask;
  nose?: Mask;
  chin?: Mask;
  left_cheek?: Mask;
  right_cheek?: Mask;
}

/** Fraction of shine pixels among `idx`. */
export function shineFraction(ctx: MeasureContext, idx: Int32Array, medianChroma: number): number {
  const I = skinLIntegral(ctx);
  const { width: w, height: h, sum, count } = I;
  const W = w + 1;
  const r = Math.max(2, Math.round(0.1 * ctx.scalePx));
  const binL = ctx.bins.binL;
  const { L, a, b } = ctx.lab;
  const maxC2 = (SHINE_CHROMA_RATIO * medianChroma) ** 2;
  let hits = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const clipped = binL[i] === CLIPPED;
    const ai = a[i], bi = b[i];
    if (!clipped && ai * ai + bi * bi > maxC2) continue;
    const y = (i / w) | 0;
    const x = i - y * w;
    const x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
    const y0 = (y - r < 0 ? 0 : y - r) * W, y1 = (y + r + 1 > h ? h : y + r + 1) * W;
    const c = count[y1 + x1] - count[y1 + x0] - count[y0 + x1] + count[y0 + x0];
    if (c === 0) continue;
    const mean = (sum[y1 + x1] - sum[y1 + x0] - sum[y0 + x1] + sum[y0 + x0]) / c;
    if (L[i] >= mean + SHINE_DL) hits++;
  }
  return idx.length > 0 ? hits / idx.length : 0;
}

/** Median chroma C*ab of the skin pixels (cached per context), from a histogram of 0.1 bins over [0, 150]. */
export function medianSkinChroma(ctx: MeasureContext): number {
  return cached(ctx, 'medianChroma', () => medianChromaOf(ctx));
}

/**
 * The loop in a function of its own, not in the closure made per call: that closure's loop ran in
 * V8's unoptimised tiers in the pipeline (one call per analysis), boxing every sqrt, fround and
 * floor: about 0.9–1.9 MB of heap garbage per analysis in a heap-sampling profile (bench/README.md, "Models stage").
 */
function medianChromaOf(ctx: MeasureContext): number {
  const { a, b } = ctx.lab;
  const idx = ctx.skinIdx;
  const hist = new Uint32Array(1500);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    // The float32 value, as a plane of C*ab would hold it.
    let bin = Math.floor(Math.fround(Math.sqrt(a[i] * a[i] + b[i] * b[i])) * 10);
    if (bin >= 1500) bin = 1499;
    hist[bin]++;
  }
  return histQuantiles(hist, idx.length, [0.5], 0, 150, 10)[0];
}

export function measureSkinType(ctx: MeasureContext, r: SkinTypeRegions): SkinType {
  const minPx = minRegionPixels(ctx.scalePx);
  const idxOf = (ms: (Mask | undefined)[]) =>
    unionPixels(ctx, ms.filter((m): m is Mask => m !== undefined).map((m) => pixelsOf(ctx, m)));
  const tIdx = idxOf([r.forehead, r.nose, r.chin]);
  const cIdx = idxOf([r.left_cheek, r.right_cheek]);
  const cheeks = maskFromPixels(ctx, cIdx);
  if (tIdx.length < minPx) return { available: false, reason: 'T-zone (forehead, nose, chin) too small or missing' };
  if (cIdx.length < minPx) return { available: false, reason: 'cheek regions too small or missing' };

  const medC = medianSkinChroma(ctx);
  const shineT = shineFraction(ctx, tIdx, medC);
  const shineC = shineFraction(ctx, cIdx, medC);
  const tex = measureTexture(ctx, cheeks);
  const texAll = tex.quality ?? measureTexture(ctx).quality;
  if (texAll === null) return { available: false, reason: 'not enough interior skin to judge texture' };
  const roughness = 1 - texAll;

  const rel = (v: number, t: number) => Math.abs(v - t) / t;
  let type: 'oily' | 'dry' | 'normal' | 'combination';
  let margin: number;
  if (shineT >= SHINE_OILY && shineC >= SHINE_OILY) {
    type = 'oily';
    margin = Math.min(rel(shineT, SHINE_OILY), rel(shineC, SHINE_OILY));
  } else if (shineT >= SHINE_OILY) {
    type = 'combination';
    margin = Math.min(rel(shineT, SHINE_OILY), rel(shineC, SHINE_OILY));
  } else if (shineT < SHINE_DRY && shineC < SHINE_DRY && roughness >= ROUGH_DRY) {
    type = 'dry';
    margin = Math.min(rel(shineT, SHINE_DRY), rel(shineC, SHINE_DRY), rel(roughness, ROUGH_DRY));
  } else {
    type = 'normal';
    // Distance to the nearest rule that would have fired instead.
    const toOily = rel(Math.max(shineT, shineC), SHINE_OILY);
    const toDry = Math.max(rel(Math.max(shineT, shineC), SHINE_DRY) * (Math.max(shineT, shineC) >= SHINE_DRY ? 1 : 0),
      roughness < ROUGH_DRY ? rel(roughness, ROUGH_DRY) : 0);
    margin = Math.min(toOily, toDry);
  }
  return {
    available: true,
    type,
    confidence: round(0.4 + 0.4 * clamp01(margin), 3),
    shine: { t_zone: round(clamp01(shineT), 4), cheeks: round(clamp01(shineC), 4) },
    roughness: round(clamp01(roughness), 4),
    rule: SKIN_TYPE_RULE,
  };
}
