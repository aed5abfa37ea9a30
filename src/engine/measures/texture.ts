/**
 * Texture quality: how smooth and even the skin is, from band-pass energy of L*.
 *
 * Band-pass = difference of two masked box means of L* (a difference-of-boxes, the box
 * analogue of the difference-of-Gaussians band-pass; normalised convolution over skin pixels
 * only, Knutsson & Westin 1993, so eyes, brows, lips and hair never leak in). Radii are
 * fractions of the inter-ocular distance (IOD ≈ 63 mm in adults, Dodgson 2004), so the same
 * physical band (≈ 0.6–2.5 mm: pores, fine lines, roughness, small blemishes) is measured at
 * any resolution:  r1 = 0.01·IOD,  r2 = 0.04·IOD.
 * Energy E = RMS of the band over interior skin pixels (≥ 80 % of the outer box is skin).
 * texture_quality = 1 / (1 + (E / E0)²), E0 = 1.6 L* units: E = 0.8 → 0.8, E = 1.6 → 0.5,
 * E = 3.2 → 0.2. (E0 set on the test fixtures; a labelled data set should recalibrate it.)
 */
import { clamp01, minRegionPixels, skinLIntegral, type MeasureContext } from './context.ts';
import type { Mask } from '../image.ts';

export const TEXTURE_E0 = 1.6;
export const TEXTURE_R1 = 0.01;
export const TEXTURE_R2 = 0.04;
const MIN_COVERAGE = 0.8;

export interface TextureResult {
  /** 0..1, 1 = smooth and even; null when too little interior skin. */
  quality: number | null;
  /** RMS band-pass energy in L* units. */
  energy: number | null;
  /** Interior skin pixels used. */
  pixels: number;
}

export function textureRadii(scalePx: number): [number, number] {
  const r1 = Math.max(1, Math.round(TEXTURE_R1 * scalePx));
  const r2 = Math.max(r1 + 2, Math.round(TEXTURE_R2 * scalePx));
  return [r1, r2];
}

/** Texture over the context's skin mask, or over `within` (a ROI-sized mask, e.g. from maskFromPixels) when given. */
export function measureTexture(ctx: MeasureContext, within?: Mask): TextureResult {
  const [r1, r2] = textureRadii(ctx.scalePx);
  const band = bandEnergy(ctx, r1, r2, within);
  if (band.energy === null) return { quality: null, energy: null, pixels: band.pixels };
  return { quality: clamp01(1 / (1 + (band.energy / TEXTURE_E0) ** 2)), energy: band.energy, pixels: band.pixels };
}

/**
 * RMS of the difference of two masked box means of L* (radii r1 < r2) over interior skin
 * pixels; null when fewer than minRegionPixels qualify. Shared by texture and evenness.
 * The pass over the skin also gives the whole skin's figure when asked for `within`'s, and keeps
 * it per context and radii (skin type asks for the cheeks', then texture for the whole skin's).
 */
export function bandEnergy(ctx: MeasureContext, r1: number, r2: number, within?: Mask): BandEnergy {
  const key = `bandEnergy:${r1}:${r2}`;
  const all = ctx.cache.get(key) as BandEnergy | undefined;
  if (all !== undefined && within === undefined) return all;
  const [whole, sel] = bandPass(ctx, r1, r2, within);
  ctx.cache.set(key, whole);
  return sel ?? whole;
}

interface BandEnergy {
  energy: number | null;
  pixels: number;
}

/** One scan of the ROI's interior: the whole skin's band energy and, when given, `within`'s (each summed in raster order). */
function bandPass(ctx: MeasureContext, r1: number, r2: number, within?: Mask): [BandEnergy, BandEnergy | null] {
  const I = skinLIntegral(ctx);
  const { width: w, height: h, sum, count } = I;
  const W = w + 1;
  const skin = ctx.skin.data;
  const sel = within?.data;
  const minCount = MIN_COVERAGE * (2 * r2 + 1) * (2 * r2 + 1);
  let acc = 0, n = 0, accIn = 0, nIn = 0;
  for (let y = r2; y < h - r2; y++) {
    const a0 = (y - r1) * W, a1 = (y + r1 + 1) * W;
    const b0 = (y - r2) * W, b1 = (y + r2 + 1) * W;
    for (let x = r2; x < w - r2; x++) {
      const i = y * w + x;
      if (skin[i] === 0) continue;
      const cb = count[b1 + x + r2 + 1] - count[b1 + x - r2] - count[b0 + x + r2 + 1] + count[b0 + x - r2];
      if (cb < minCount) continue;
      const ca = count[a1 + x + r1 + 1] - count[a1 + x - r1] - count[a0 + x + r1 + 1] + count[a0 + x - r1];
      const sa = sum[a1 + x + r1 + 1] - sum[a1 + x - r1] - sum[a0 + x + r1 + 1] + sum[a0 + x - r1];
      const sb = sum[b1 + x + r2 + 1] - sum[b1 + x - r2] - sum[b0 + x + r2 + 1] + sum[b0 + x - r2];
      const v = sa / ca - sb / cb;
      acc += v * v;
      n++;
      if (sel !== undefined && sel[i] !== 0) {
        accIn += v * v;
        nIn++;
      }
    }
  }
  const minPx = minRegionPixels(ctx.scalePx);
  const result = (a: number, m: number): BandEnergy => (m < minPx ? { energy: null, pixels: m } : { energy: Math.sqrt(a / m), pixels: m });
  return [result(acc, n), sel === undefined ? null : result(accIn, nIn)];
}
