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
 */
import type { Mask } from '../image.ts';
import type { SkinTone } from '../result/schema.ts';
import { ITA_CATEGORIES, REGION_NAMES } from '../result/schema.ts';
import { deltaE76, hexToLab, labToHex, type Lab } from './color.ts';
import { minRegionPixels, pixelsOf, round, type MeasureContext } from './context.ts';
import { estimateColorCast } from './cast.ts';
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

/** Exposure limits for a trustworthy tone (median skin L*, clipped-pixel fraction). */
export const TONE_MIN_L = 20;
export const TONE_MAX_L = 90;
export const TONE_MAX_CLIPPED = 0.05;

export function measureSkinTone(ctx: MeasureContext, regions: Partial<Record<RegionName, Mask>> = {}): SkinTone {
  const minPx = minRegionPixels(ctx.scalePx);
  if (ctx.skinIdx.length < minPx) {
    return { available: false, reason: `too few skin pixels (${ctx.skinIdx.length} < ${minPx})` };
  }
  const lab = skinRobustLab(ctx);
  if (lab === null) return { available: false, reason: 'every skin pixel is clipped (overexposed)' };

  // Rounded once so the reported angle and its category always agree at a boundary.
  const ita = round(itaDegrees(lab.L, lab.b), 2);
  const warnings: string[] = [];
  if (lab.b <= 0) warnings.push('b* ≤ 0: the measured color is not a plausible skin color');
  if (lab.L < TONE_MIN_L) warnings.push(`skin is very dark in the picture (L* ${lab.L.toFixed(0)}): underexposed?`);
  if (lab.L > TONE_MAX_L) warnings.push(`skin is very bright in the picture (L* ${lab.L.toFixed(0)}): overexposed?`);
  if (lab.clippedFraction > TONE_MAX_CLIPPED) {
    warnings.push(`${(lab.clippedFraction * 100).toFixed(0)}% of skin pixels are clipped`);
  }
  const cast = estimateColorCast(ctx);
  for (const r of cast.reasons) warnings.push(`color cast: ${r}`);

  const perRegion = {} as Record<RegionName, number | null>;
  for (const name of REGION_NAMES) {
    const m = regions[name];
    const rl = m && pixelsOf(ctx, m).length >= minPx ? regionRobustLab(ctx, m) : null;
    perRegion[name] = rl && rl.n >= minPx * 0.5 ? round(itaDegrees(rl.L, rl.b), 2) : null;
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
