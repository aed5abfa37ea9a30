/**
 * Dark circles: how much darker the under-eye skin is than the cheek below it, per side.
 *
 * Per side: robust L*a*b* (robust.ts) of the under-eye region and of the same side's cheek;
 *   ΔL* = L*(cheek) − L*(under-eye)  (positive: under-eye darker),
 *   ΔE  = CIE76 ΔE*ab between the two (catches bluish/brownish tint as well as darkness).
 * Both sides are averaged (a missing side is left out and reported as null).
 * severity = clamp((ΔL* − 2) / (12 − 2), 0, 1):
 *   ΔL* ≤ 2 is below a just-noticeable difference (ΔE*ab ≈ 2.3, Sharma 2003, Digital Color
 *   Imaging Handbook) and normal shading → 0; ΔL* ≥ 12 is a pronounced periorbital darkening → 1.
 * detected when severity ≥ 0.25 (ΔL* ≥ 4.5, about twice the JND).
 */
import type { Mask } from '../image.ts';
import type { DarkCircles } from '../result/schema.ts';
import { deltaE76 } from './color.ts';
import { clamp01, minRegionPixels, pixelsOf, round, type MeasureContext } from './context.ts';
import { regionRobustLab } from './robust.ts';

export const DARK_CIRCLE_DL_MIN = 2;
export const DARK_CIRCLE_DL_MAX = 12;
export const DARK_CIRCLE_DETECT = 0.25;

export function darkCircleSeverity(deltaL: number): number {
  return clamp01((deltaL - DARK_CIRCLE_DL_MIN) / (DARK_CIRCLE_DL_MAX - DARK_CIRCLE_DL_MIN));
}

export interface DarkCircleRegions {
  under_eye_left?: Mask;
  under_eye_right?: Mask;
  left_cheek?: Mask;
  right_cheek?: Mask;
}

export function measureDarkCircles(ctx: MeasureContext, r: DarkCircleRegions): DarkCircles {
  const minPx = minRegionPixels(ctx.scalePx);
  const side = (under?: Mask, cheek?: Mask) => {
    if (!under || !cheek) return null;
    if (pixelsOf(ctx, under).length < minPx || pixelsOf(ctx, cheek).length < minPx) return null;
    const u = regionRobustLab(ctx, under);
    const c = regionRobustLab(ctx, cheek);
    if (!u || !c) return null;
    return { delta_L: c.L - u.L, delta_E: deltaE76(c, u) };
  };
  const left = side(r.under_eye_left, r.left_cheek);
  const right = side(r.under_eye_right, r.right_cheek);
  const sides = [left, right].filter((s) => s !== null);
  if (sides.length === 0) {
    return { available: false, reason: 'under-eye or cheek regions missing or too small on both sides' };
  }
  const dL = sides.reduce((s, v) => s + v.delta_L, 0) / sides.length;
  const dE = sides.reduce((s, v) => s + v.delta_E, 0) / sides.length;
  const severity = darkCircleSeverity(dL);
  const fmt = (s: { delta_L: number; delta_E: number } | null) =>
    s && { delta_L: round(s.delta_L, 2), delta_E: round(s.delta_E, 2) };
  return {
    available: true,
    detected: severity >= DARK_CIRCLE_DETECT,
    severity: round(severity, 4),
    delta_L: round(dL, 2),
    delta_E: round(dE, 2),
    per_side: { left: fmt(left), right: fmt(right) },
  };
}
