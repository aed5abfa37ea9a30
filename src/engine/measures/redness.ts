/**
 * Redness from a* (the red–green axis of CIELAB, the standard colorimetric erythema measure:
 * Takiwaki 1998, "Measurement of skin color: practical application and theoretical
 * considerations", J Med Invest 44:121; a* tracks haemoglobin/erythema closely).
 *
 * Absolute part, logistic in a*:  abs(a) = 1 / (1 + exp(−(a* − 18) / 4)).
 *   Colorimeter studies put unirritated facial skin at a* ≈ 8–13 (Clarys et al. 2000, Skin Res
 *   Technol 6:230); phone photos render skin redder, so the midpoint sits at 18: a* 10 → 0.12,
 *   18 → 0.5, 26 → 0.88. Logistic rather than a clamp so a red face still ranks below a redder one.
 * Relative part, against the face's own baseline (absorbs camera and white-balance differences):
 *   rel(Δ) = 1 / (1 + exp(−(Δ − 3) / 1.5)),  Δ = region mean a* − median a* of all skin;
 *   a region 3 units redder than the face's typical skin → 0.5, 6 units → 0.88.
 * Overall score = abs(mean a* of skin).
 * Region score = ½·abs(region mean a*) + ½·rel(Δ): how red it is and how much redder than the rest.
 * Clipped pixels are ignored (no colour information).
 */
import type { Mask } from '../image.ts';
import type { Redness } from '../result/schema.ts';
import { REGION_NAMES } from '../result/schema.ts';
import { clamp01, histQuantiles, minRegionPixels, pixelsOf, round, type MeasureContext } from './context.ts';
import { CLIPPED } from './lab-planes.ts';

export const REDNESS_A_MID = 18;
export const REDNESS_A_WIDTH = 4;
export const REDNESS_REL_MID = 3;
export const REDNESS_REL_WIDTH = 1.5;

type RegionName = (typeof REGION_NAMES)[number];

const logistic = (x: number) => 1 / (1 + Math.exp(-x));
export const rednessAbsolute = (a: number): number => logistic((a - REDNESS_A_MID) / REDNESS_A_WIDTH);
export const rednessRelative = (delta: number): number => logistic((delta - REDNESS_REL_MID) / REDNESS_REL_WIDTH);

function meanUnclippedA(ctx: MeasureContext, idx: Int32Array): { mean: number; n: number } {
  const binL = ctx.bins.binL;
  const A = ctx.lab.a;
  let s = 0;
  let n = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (binL[i] === CLIPPED) continue;
    s += A[i];
    n++;
  }
  return { mean: n > 0 ? s / n : NaN, n };
}

/**
 * The skin's mean unclipped a* and its median a* over every skin pixel (histogram of 0.1 bins
 * over [−128, 128]), in one pass over the skin.
 */
function skinA(ctx: MeasureContext): { mean: number; n: number; median: number } {
  const idx = ctx.skinIdx;
  const binL = ctx.bins.binL;
  const A = ctx.lab.a;
  const hist = new Uint32Array(2560);
  let s = 0;
  let n = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    const a = A[i];
    let bin = Math.floor((a - -128) * 10);
    if (bin < 0) bin = 0;
    else if (bin >= 2560) bin = 2559;
    hist[bin]++;
    if (binL[i] === CLIPPED) continue;
    s += a;
    n++;
  }
  return { mean: n > 0 ? s / n : NaN, n, median: histQuantiles(hist, idx.length, [0.5], -128, 128, 10)[0] };
}

export function measureRedness(ctx: MeasureContext, regions: Partial<Record<RegionName, Mask>> = {}): Redness {
  const minPx = minRegionPixels(ctx.scalePx);
  const all = skinA(ctx);
  if (all.n < minPx) return { available: false, reason: `too few unclipped skin pixels (${all.n})` };
  const baseline = all.median;
  const perRegion = {} as Record<RegionName, { score: number; mean_a: number } | null>;
  for (const name of REGION_NAMES) {
    const m = regions[name];
    const r = m ? meanUnclippedA(ctx, pixelsOf(ctx, m)) : null;
    if (!r || r.n < minPx) {
      perRegion[name] = null;
      continue;
    }
    const score = 0.5 * rednessAbsolute(r.mean) + 0.5 * rednessRelative(r.mean - baseline);
    perRegion[name] = { score: round(clamp01(score), 4), mean_a: round(r.mean, 2) };
  }
  return {
    available: true,
    score: round(clamp01(rednessAbsolute(all.mean)), 4),
    mean_a: round(all.mean, 2),
    per_region: perRegion,
  };
}
