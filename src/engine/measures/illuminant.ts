/**
 * Illuminant colour science for white balance: correlated colour temperature (CCT) of a
 * linear-sRGB white, the Planckian white of a temperature, and von Kries gains between them.
 *
 * - CCT from chromaticity xy: McCamy 1992 (Color Res Appl 17:142), n = (x − 0.3320)/(0.1858 − y),
 *   CCT = 449n³ + 3525n² + 6823.3n + 5520.33 (within a few K over 2,000–12,000 K).
 * - Planckian locus in CIE 1960 uv: Krystek 1985 (Color Res Appl 10:38) rational approximation,
 *   1,000–15,000 K. Duv = distance of a white from the locus at its CCT (positive above it).
 * - Correction: von Kries diagonal gains in linear sRGB, scaled to keep luminance Y.
 */
import { SRGB_TO_XYZ as M, XYZ_TO_SRGB as MI } from './color.ts';

export type Rgb = readonly [number, number, number];

export function luminance(rgb: Rgb): number {
  return M[3] * rgb[0] + M[4] * rgb[1] + M[5] * rgb[2];
}

function xyOf(rgb: Rgb): { x: number; y: number } {
  const X = M[0] * rgb[0] + M[1] * rgb[1] + M[2] * rgb[2];
  const Y = luminance(rgb);
  const Z = M[6] * rgb[0] + M[7] * rgb[1] + M[8] * rgb[2];
  const s = X + Y + Z;
  return { x: X / s, y: Y / s };
}

export function planckUv(T: number): { u: number; v: number } {
  const u = (0.860117757 + 1.54118254e-4 * T + 1.28641212e-7 * T * T) / (1 + 8.42420235e-4 * T + 7.08145163e-7 * T * T);
  const v = (0.317398726 + 4.22806245e-5 * T + 4.20481691e-8 * T * T) / (1 - 2.89741816e-5 * T + 1.61456053e-7 * T * T);
  return { u, v };
}

/** CCT (K) and Duv of a linear-sRGB white. */
export function cctOf(rgb: Rgb): { cct: number; duv: number } {
  const { x, y } = xyOf(rgb);
  const n = (x - 0.332) / (0.1858 - y);
  const cct = 449 * n ** 3 + 3525 * n ** 2 + 6823.3 * n + 5520.33;
  const d = -2 * x + 12 * y + 3;
  const u = (4 * x) / d;
  const v = (6 * y) / d;
  const p = planckUv(Math.min(15000, Math.max(1000, cct)));
  return { cct, duv: Math.sign(v - p.v) * Math.hypot(u - p.u, v - p.v) };
}

/** Linear-sRGB colour of the Planckian white at T, luminance 1. */
export function planckRgb(T: number): Rgb {
  const { u, v } = planckUv(T);
  const d = 2 * u - 8 * v + 4;
  const x = (3 * u) / d;
  const y = (2 * v) / d;
  const X = x / y;
  const Z = (1 - x - y) / y;
  return [MI[0] * X + MI[1] + MI[2] * Z, MI[3] * X + MI[4] + MI[5] * Z, MI[6] * X + MI[7] + MI[8] * Z];
}

/** Gains that map `from` to `to` (von Kries), scaled so a grey keeps its luminance. */
export function vonKriesGains(from: Rgb, to: Rgb): Rgb {
  const g: [number, number, number] = [to[0] / from[0], to[1] / from[1], to[2] / from[2]];
  const k = 1 / luminance(g);
  return [g[0] * k, g[1] * k, g[2] * k];
}

/** The sRGB white point's CCT. */
export const D65_CCT = 6504;
