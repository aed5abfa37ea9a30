/**
 * Robust colour of a set of skin pixels, shared by skin tone, dark circles and redness.
 *
 * Choice: component-wise medians of L*, a*, b* after dropping clipped pixels (any channel
 * ≥ 250: specular highlights and blown-out areas carry no skin colour) and the darkest and
 * brightest 10 % of L* (shadows in folds and under the brows, remaining shine).
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
  /** Fraction of the input pixels dropped as clipped. */
  clippedFraction: number;
}

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
  // Pass 1: L* histogram of the unclipped pixels → trimming bounds.
  const hL = new Uint32Array(L_BINS);
  let n = 0;
  for (let k = 0; k < idx.length; k++) {
    const bl = binL[idx[k]];
    if (bl === CLIPPED) continue;
    hL[bl]++;
    n++;
  }
  const clippedFraction = 1 - n / idx.length;
  if (n === 0) return null;
  // Trim by bin, so pixels sharing the bin of a bound are kept (a uniform patch keeps them all).
  const lo = binOf(histQuantile(hL, n, trim, 0), 0, L_BINS);
  const hi = binOf(histQuantile(hL, n, 1 - trim, 0), 0, L_BINS);
  // Pass 2: histograms of L*, a*, b* inside the bounds (a clipped pixel's CLIPPED is above hi).
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
