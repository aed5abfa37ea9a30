/**
 * Evenness of skin tone: blotchiness of L* at the scale of spots and patches.
 *
 * The same difference-of-boxes band-pass as texture (texture.ts), one band coarser:
 * r1 = 0.04·IOD, r2 = 0.16·IOD (≈ 2.5–10 mm at IOD ≈ 63 mm: freckles, sun spots, blotches,
 * post-acne marks), below the scale of the face's shading (nose, cheekbones: ≳ 15 mm), which
 * the outer box absorbs. Energy E = RMS of the band over interior skin pixels;
 * quality = 1 / (1 + (E / E0)²), E0 = 3 L* units (set on the face fixtures: even, well-lit
 * skin gives E ≈ 1.5–2.5; a labelled data set should recalibrate it).
 */
import type { Evenness } from '../result/schema.ts';
import { clamp01, round, type MeasureContext } from './context.ts';
import { bandEnergy } from './texture.ts';

export const EVENNESS_R1 = 0.04;
export const EVENNESS_R2 = 0.16;
export const EVENNESS_E0 = 3;

export function measureEvenness(ctx: MeasureContext): Evenness {
  const r1 = Math.max(1, Math.round(EVENNESS_R1 * ctx.scalePx));
  const r2 = Math.max(r1 + 2, Math.round(EVENNESS_R2 * ctx.scalePx));
  const { energy, pixels } = bandEnergy(ctx, r1, r2);
  if (energy === null) return { available: false, reason: `too little interior skin (${pixels} px)` };
  return { available: true, quality: round(clamp01(1 / (1 + (energy / EVENNESS_E0) ** 2)), 4), energy: round(energy, 3) };
}
