/**
 * Skin tone: Individual Typology Angle, its category, the nearest Monk Skin Tone swatch and
 * a Fitzpatrick estimate.
 *
 * - ITA° = atan((L* − 50) / b*) · 180/π  (Chardon, Cretois & Hourseau 1991, Int J Cosmet Sci 13:191).
 * - Categories (Del Bino et al. 2006, "Relationship between skin response to UV exposure and
 *   skin color type", Pigment Cell Res 19:606): very light > 55° ≥ light > 41° ≥ intermediate
 *   > 28° ≥ tan > 10° ≥ brown > −30° ≥ dark. A value exactly on a boundary goes to the darker class.
 * - Fitzpatrick I..VI from the same six bands, in order (the commonly used ITA ↔ phototype
 *   correspondence, e.g. Del Bino & Bernerd 2013, Br J Dermatol 169 Suppl 3). It is an
 *   estimate from colour, not the phototype questionnaire.
 * - Monk Skin Tone scale (Monk 2019; swatches as published by Google, skintone.google): the
 *   swatch with the smallest CIE76 ΔE*ab to the robust skin colour.
 * Robust skin colour: see robust.ts (trimmed component medians).
 *
 * Exposure (issue #13 §4): ITA is steep in L* at the low b* of photographed skin (15 % less
 * light moved a UTKFace group's median ITA by 6–11°). In face mode the tone's L*a*b* is
 * normalised, partially, to a reference exposure: with R the crop's exposure reference
 * (exposureReference, white-balance.ts) and R0 = EXPOSURE_REFERENCE_Y,
 *     g = clamp(R0 / R, 1/4, 4)^EXPOSURE_ALPHA   (a gain on linear light),
 * applied exactly in L*a*b*: scaling XYZ by g scales f(t) = t^(1/3) by c = g^(1/3), so
 *     L*' = c·(L* + 16) − 16,  a*' = c·a*,  b*' = c·b*   (CIE 15:2004 L*a*b*; exact while X/Xn, Y/Yn,
 *     Z/Zn stay above ε = 216/24389, the cube-root branch: L* > 8 and about as far for a*, b*).
 * The trimmed medians commute with it, so the robust colour is scaled, not recomputed.
 * The reference also varies with the scene (a white wall, dark clothes), so the full correction
 * (α = 1) trades exposure error for scene noise; α is the share of the reference's deviation
 * attributed to the light. Chosen on the validation half of the UTKFace portraits (npm run
 * validity -- --half validation, 283 faces, and their ×0.85 / ×1.15 copies), among references
 * {non-skin median, 75th pct; whole-crop median, 75th, 90th pct} × α {0.5, 0.75, 1}: the one with
 * the smallest worst move of a group's median ITA under ×0.85 / ×1.15 among those that keep the
 * groups' order (Asian/White lightest, Black darkest): whole-crop 90th percentile, α = 0.75,
 * worst move 4.2° (none: 11.3°; with robust.ts's trim of then, before clipped pixels were ranked);
 * R0 = that half's median reference, 0.4345. The results on the
 * test half are in the README (validity). Warnings, and the exposure flags, use the colour as
 * taken. Close-ups have no surroundings to judge the light by and are not normalised.
 */
import type { Mask } from '../image.ts';
import type { SkinTone } from '../result/schema.ts';
import { ITA_CATEGORIES, REGION_NAMES } from '../result/schema.ts';
import { deltaE76, hexToLab, labToHex, type Lab } from './color.ts';
import { minRegionPixels, pixelsOf, round, type MeasureContext } from './context.ts';
import { estimateColorCast } from './cast.ts';
import { exposureReference } from './white-balance.ts';
import { regionRobustLab, skinRobustLab } from './robust.ts';

export type ItaCategory = (typeof ITA_CATEGORIES)[number];
export type Fitzpatrick = 'I' | 'II' | 'III' | 'IV' | 'V' | 'VI';
export type RegionName = (typeof REGION_NAMES)[number];

/** Lower (exclusive) bounds of the Del Bino classes, lightest first. */
export const ITA_BOUNDS: readonly { category: ItaCategory; above: number; fitzpatrick: Fitzpatrick }[] = [
  { category: 'very_light', above: 55, fitzpatrick: 'I' },
  { category: 'light', above: 41, fitzpatrick: 'II' },
  { category: 'intermediate', above: 28, fitzpatrick: 'III' },
  { category: 'tan', above: 10, fitzpatrick: 'IV' },
  { category: 'brown', above: -30, fitzpatrick: 'V' },
  { category: 'dark', above: -Infinity, fitzpatrick: 'VI' },
];

/**
 * ITA in degrees. For b* ≤ 0 (not a skin colour; the formula's limit) the angle is ±90°
 * by the sign of L*−50, so the caller can still flag it instead of dividing by zero.
 */
export function itaDegrees(L: number, b: number): number {
  if (b <= 0) return L >= 50 ? 90 : -90;
  return (Math.atan((L - 50) / b) * 180) / Math.PI;
}

export function itaCategory(ita: number): ItaCategory {
  for (const c of ITA_BOUNDS) if (ita > c.above) return c.category;
  return 'dark';
}

export function fitzpatrickFromIta(ita: number): Fitzpatrick {
  for (const c of ITA_BOUNDS) if (ita > c.above) return c.fitzpatrick;
  return 'VI';
}

export const MONK_HEX = [
  '#f6ede4', '#f3e7db', '#f7ead0', '#eadaba', '#d7bd96',
  '#a07e56', '#825c43', '#604134', '#3a312a', '#292420',
] as const;
const MONK_LAB: readonly Lab[] = MONK_HEX.map(hexToLab);

export function nearestMonk(lab: Lab): { tone: number; hex: string; deltaE: number } {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < MONK_LAB.length; i++) {
    const d = deltaE76(lab, MONK_LAB[i]);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return { tone: best + 1, hex: MONK_HEX[best], deltaE: bestD };
}

/** Reference exposure R0 (linear Y of the crop's 90th percentile) and the share α of a deviation corrected. */
export const EXPOSURE_REFERENCE_Y = 0.4345;
export const EXPOSURE_ALPHA = 0.75;
/** Limits of R0 / R: beyond them the reference is no exposure estimate (a black or white crop). */
export const EXPOSURE_RATIO_RANGE = [0.25, 4] as const;

/** The exposure gain g (linear light) for a crop whose exposure reference is `reference`. */
export function exposureGain(reference: number | null): { gain: number; clamped: boolean } {
  if (reference === null || !(reference > 0)) return { gain: 1, clamped: true };
  const ratio = EXPOSURE_REFERENCE_Y / reference;
  const [lo, hi] = EXPOSURE_RATIO_RANGE;
  const r = ratio < lo ? lo : ratio > hi ? hi : ratio;
  return { gain: r ** EXPOSURE_ALPHA, clamped: r !== ratio };
}

/** L*a*b* of the same surface under `gain` times the light (exact in the cube-root branch, see the header). */
export function scaleLabExposure<T extends Lab>(lab: T, gain: number): T {
  if (gain === 1) return lab;
  const c = Math.cbrt(gain);
  return { ...lab, L: c * (lab.L + 16) - 16, a: c * lab.a, b: c * lab.b };
}

/** Exposure limits for a trustworthy tone (median skin L*, clipped-pixel fraction). */
export const TONE_MIN_L = 20;
export const TONE_MAX_L = 90;
export const TONE_MAX_CLIPPED = 0.05;

export interface SkinToneOptions {
  /** Normalise the tone to the reference exposure (face mode; see the header). */
  normaliseExposure?: boolean;
}

export function measureSkinTone(ctx: MeasureContext, regions: Partial<Record<RegionName, Mask>> = {}, options: SkinToneOptions = {}): SkinTone {
  const minPx = minRegionPixels(ctx.scalePx);
  if (ctx.skinIdx.length < minPx) {
    return { available: false, reason: `too few skin pixels (${ctx.skinIdx.length} < ${minPx})` };
  }
  const asTaken = skinRobustLab(ctx);
  if (asTaken === null) return { available: false, reason: 'every skin pixel is clipped (overexposed)' };
  const exposure = options.normaliseExposure ? exposureGain(exposureReference(ctx.source.image)) : { gain: 1, clamped: false };
  const lab = scaleLabExposure(asTaken, exposure.gain);

  // Rounded once so the reported angle and its category always agree at a boundary.
  const ita = round(itaDegrees(lab.L, lab.b), 2);
  const warnings: string[] = [];
  if (lab.b <= 0) warnings.push('b* ≤ 0: the measured color is not a plausible skin color');
  if (asTaken.L < TONE_MIN_L) warnings.push(`skin is very dark in the picture (L* ${asTaken.L.toFixed(0)}): underexposed?`);
  if (asTaken.L > TONE_MAX_L) warnings.push(`skin is very bright in the picture (L* ${asTaken.L.toFixed(0)}): overexposed?`);
  if (options.normaliseExposure && exposure.clamped) warnings.push('the photo gives no usable exposure reference: the tone follows the exposure');
  if (lab.clippedFraction > TONE_MAX_CLIPPED) {
    warnings.push(`${(lab.clippedFraction * 100).toFixed(0)}% of skin pixels are clipped`);
  }
  const cast = estimateColorCast(ctx);
  for (const r of cast.reasons) warnings.push(`color cast: ${r}`);

  const perRegion = {} as Record<RegionName, number | null>;
  for (const name of REGION_NAMES) {
    const m = regions[name];
    const rl = m && pixelsOf(ctx, m).length >= minPx ? regionRobustLab(ctx, m) : null;
    const rs = rl && scaleLabExposure(rl, exposure.gain);
    perRegion[name] = rs && rs.n >= minPx * 0.5 ? round(itaDegrees(rs.L, rs.b), 2) : null;
  }

  const monk = nearestMonk(lab);
  return {
    available: true,
    ita_deg: ita,
    category: itaCategory(ita),
    monk_tone: monk.tone,
    monk_hex: monk.hex,
    fitzpatrick: fitzpatrickFromIta(ita),
    lab: { L: round(lab.L, 2), a: round(lab.a, 2), b: round(lab.b, 2) },
    hex: labToHex(lab),
    per_region: perRegion,
    reliable: warnings.length === 0,
    warnings,
  };
}
