/**
 * Robust colour of a set of skin pixels, shared by skin tone, dark circles and the colour-cast
 * check (cast.ts).
 *
 * Choice: component-wise medians of L*, a*, b* of the pixels left after a symmetric trim of the
 * L* ranking of ALL the pixels, in which a clipped pixel (any channel ≥ 250: a specular highlight
 * or blown-out skin, no colour information) counts as the brightest:
 *   c = clipped fraction,  t = max(trim, c)  (trim = 10 %),
 *   drop the top t of the ranking (every clipped pixel first, then the brightest unclipped ones),
 *   drop the bottom min(t, 1 − t − 10 %) (shadows in folds and under the brows),
 * and take the medians of the rest. The trim removes shadows and remaining shine. Counting
 * clipped pixels in the ranking keeps the same pixels when a brighter exposure clips some of the
 * lit skin: while c ≤ trim the clipped pixels only take the place of the brightest unclipped ones
 * that were dropped anyway; beyond it the bottom is trimmed by as much as the top, so the L* median
 * stays the median of every pixel with clipped ones counted as brightest (a median of data
 * censored at the top, unaffected while c < ½). The bottom trim stops where 10 % of the pixels
 * would be left, so a mostly clipped patch still has a colour (the tone then warns: > 5 % clipped).
 * Before (until 2026-12-02) clipped pixels were dropped and the top 10 % of the rest: a brighter
 * exposure that clipped lit skin moved the kept pixels towards the shadows, and 1 face in 10 lost
 * ≥ 9.7° of ITA at exposure ×1.15 (validation half; 13.9° on the test half; issue #13 §4).
 * Where it was chosen: on the validation half of the UTKFace portraits (283 faces; the engine's
 * skin bins cached per face and light change, every variant computed from them), against the
 * rule before, the top trim over all pixels without growing (t = trim), and the bottom trim
 * growing by half the excess: per-face ΔITA at ×1.15, 10th–90th percentile: before −9.7 … +3.0°,
 * t = trim −5.9 … +3.6°, half −2.2 … +4.1°, this rule −0.1 … +4.5° (median +1.7°, the mirror of
 * ×0.85's −2.1°: the exposure normalisation corrects 75 % of an exposure change, skin-tone.ts);
 * at ×0.85 −4.9 … −0.0° before, −5.3 … −0.6° now; −300 K −2.8 … +0.6° before, −0.9 … +0.7° now.
 * Worst move of a group median 4.2° before, 4.9° now (Asian at ×0.85; the old rule darkened
 * originals that had clipped highlights, which hid part of ×0.85's −2°), group order kept. Test half (README, validity, with
 * every variant tried): ×1.15 −13.9 … +2.7° → −0.4 … +3.9°, but the worst group move 4.4° → 6.4°
 * (Indian at ×0.85, a gap in that group's ITAs at its median; their own median change is −2.3°),
 * over the 5° target.
 * Why not the median of per-pixel ITA: ITA = atan((L*−50)/b*) is ill-conditioned where b* is
 * small (noise in b* swings the angle by tens of degrees) and the trimmed medians already
 * remove the outliers; ITA is then computed once from the robust L* and b*.
 */
import type { Lab } from './color.ts';
import type { Mask } from '../image.ts';
import { cached, pixelsOf, type MeasureContext } from './context.ts';
import { AB_BINS, AB_LO, binOf, BPU, CLIPPED, L_BINS } from './lab-planes.ts';

export { CLIP_LEVEL } from './lab-planes.ts';

export interface RobustLab extends Lab {
  /** Pixels used after trimming. */
  n: number;
  /** Fraction of the input pixels that are clipped (always dropped). */
  clippedFraction: number;
}

/** The bottom trim never leaves fewer than this fraction of the pixels (see the header). */
const MIN_KEPT = 0.1;

/** Value at quantile q of a histogram holding n samples (linear within the bin). */
function histQuantile(h: Uint32Array, n: number, q: number, lo: number): number {
  const target = q * n;
  let acc = 0;
  for (let k = 0; k < h.length; k++) {
    const c = h[k];
    if (c > 0 && acc + c >= target) return lo + (k + (target - acc) / c) / BPU;
    acc += c;
  }
  return lo + h.length / BPU;
}

export function robustLab(ctx: MeasureContext, idx: Int32Array, trim = 0.1): RobustLab | null {
  if (idx.length === 0) return null;
  // Histogram ranges (lab-planes.ts): L* 0..100; a*, b* −64..96 (values beyond are clamped into
  // the end bins, which cannot move a median of skin pixels). 10 bins per unit: medians to 0.1.
  // The bins were taken with the context's one conversion (CLIPPED for a clipped pixel).
  const { binL, binA, binB } = ctx.bins;
  // Pass 1: L* histogram of every pixel, the clipped ones in one bin above the rest → trimming bounds.
  const hL = new Uint32Array(L_BINS + 1);
  for (let k = 0; k < idx.length; k++) {
    const bl = binL[idx[k]];
    hL[bl === CLIPPED ? L_BINS : bl]++;
  }
  const total = idx.length;
  const clippedFraction = hL[L_BINS] / total;
  if (hL[L_BINS] === total) return null;
  const t = Math.max(trim, clippedFraction);
  const bottom = Math.min(t, Math.max(0, 1 - t - MIN_KEPT));
  // Trim by bin, so pixels sharing the bin of a bound are kept (a uniform patch keeps them all).
  // Where the top cut takes only clipped pixels, every unclipped bin is below it.
  const lo = binOf(histQuantile(hL, total, bottom, 0), 0, L_BINS + 1);
  const hi = t > clippedFraction ? binOf(histQuantile(hL, total, 1 - t, 0), 0, L_BINS + 1) : L_BINS - 1;
  // Pass 2: histograms of L*, a*, b* inside the bounds (a clipped pixel's CLIPPED is above hi ≤ L_BINS).
  hL.fill(0);
  const hA = new Uint32Array(AB_BINS);
  const hB = new Uint32Array(AB_BINS);
  let m = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const bl = binL[i];
    if (bl < lo || bl > hi) continue;
    hL[bl]++;
    hA[binA[i]]++;
    hB[binB[i]]++;
    m++;
  }
  if (m === 0) return null;
  return {
    L: histQuantile(hL, m, 0.5, 0),
    a: histQuantile(hA, m, 0.5, AB_LO),
    b: histQuantile(hB, m, 0.5, AB_LO),
    n: m,
    clippedFraction,
  };
}

/** Robust colour of a full-size region mask, computed once per context and mask. */
export function regionRobustLab(ctx: MeasureContext, mask: Mask): RobustLab | null {
  const map = cached(ctx, 'regionRobustLab', () => new Map<Mask, RobustLab | null>());
  if (!map.has(mask)) map.set(mask, robustLab(ctx, pixelsOf(ctx, mask)));
  return map.get(mask) ?? null;
}

/** Robust colour of all skin pixels, computed once per context. */
export function skinRobustLab(ctx: MeasureContext): RobustLab | null {
  return cached(ctx, 'skinRobustLab', () => robustLab(ctx, ctx.skinIdx));
}
