/**
 * Colour conversions used by every skin measure.
 *
 * sRGB (8-bit) → CIE XYZ (D65) → CIELAB (CIE 1976 L*a*b*):
 * - sRGB companding and the RGB→XYZ matrix: IEC 61966-2-1:1999 (the matrix as derived by
 *   B. Lindbloom from the sRGB primaries and D65 white).
 * - L*a*b*: CIE 15:2004 §8.2.1, with the exact CIE constants ε = 216/24389, κ = 24389/27
 *   (CIE 15:2004 and Lindbloom's note on the "intent" of the standard).
 * - ΔE*ab (CIE76): Euclidean distance in L*a*b*.
 *
 * Image conversion uses two lookup tables (256-entry sRGB linearisation, and the cube-root
 * f(t) sampled at 4096 steps with linear interpolation) so a 384×384 crop converts in about
 * 1 ms; the scalar functions are exact and serve the tests and the swatches.
 */
import type { Mask, RgbImage } from '../image.ts';

/** D65 reference white (2° observer), Y normalised to 1. */
export const D65 = { X: 0.95047, Y: 1.0, Z: 1.08883 } as const;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

// sRGB → XYZ (D65), IEC 61966-2-1.
export const SRGB_TO_XYZ = [
  0.4124564, 0.3575761, 0.1804375,
  0.2126729, 0.7151522, 0.072175,
  0.0193339, 0.119192, 0.9503041,
] as const;
// XYZ → sRGB, the inverse of SRGB_TO_XYZ.
export const XYZ_TO_SRGB = [
  3.2404542, -1.5371385, -0.4985314,
  -0.969266, 1.8760108, 0.041556,
  0.0556434, -0.2040259, 1.0572252,
] as const;
const M = SRGB_TO_XYZ;
const MI = XYZ_TO_SRGB;

export interface Lab {
  L: number;
  a: number;
  b: number;
}

/** Per-pixel L*a*b* planes, the size of the image; pixels outside the conversion mask are 0. */
export interface LabImage {
  readonly width: number;
  readonly height: number;
  readonly L: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/** sRGB electro-optical transfer: 8-bit code value → linear light 0..1 (IEC 61966-2-1 §5.2). */
export function srgbToLinear(v8: number): number {
  const c = v8 / 255;
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

/** Linear light 0..1 → sRGB code value 0..255 (not rounded, not clamped). */
export function linearToSrgb(lin: number): number {
  const c = lin <= 0.0031308 ? 12.92 * lin : 1.055 * Math.pow(lin, 1 / 2.4) - 0.055;
  return c * 255;
}

/** The 256-entry linearisation table, shared by all image conversions. */
export const SRGB_TO_LINEAR: Float32Array = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = srgbToLinear(i);
  return t;
})();

function labF(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}
function labFInv(f: number): number {
  const f3 = f * f * f;
  return f3 > EPS ? f3 : (116 * f - 16) / KAPPA;
}

/** Exact sRGB (8-bit, 0..255 each) → L*a*b* (D65). */
export function srgbToLab(r: number, g: number, b: number): Lab {
  const R = srgbToLinear(r);
  const G = srgbToLinear(g);
  const B = srgbToLinear(b);
  const fx = labF((M[0] * R + M[1] * G + M[2] * B) / D65.X);
  const fy = labF((M[3] * R + M[4] * G + M[5] * B) / D65.Y);
  const fz = labF((M[6] * R + M[7] * G + M[8] * B) / D65.Z);
  return { L: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/** L*a*b* (D65) → sRGB code values, unrounded and unclamped (may fall outside 0..255 if out of gamut). */
export function labToSrgbFloat(lab: Lab): [number, number, number] {
  const fy = (lab.L + 16) / 116;
  const fx = fy + lab.a / 500;
  const fz = fy - lab.b / 200;
  const X = labFInv(fx) * D65.X;
  // L* has its own exact inverse below the linear segment (CIE 15:2004).
  const Y = lab.L > KAPPA * EPS ? fy * fy * fy : lab.L / KAPPA;
  const Z = labFInv(fz) * D65.Z;
  return [
    linearToSrgb(MI[0] * X + MI[1] * Y + MI[2] * Z),
    linearToSrgb(MI[3] * X + MI[4] * Y + MI[5] * Z),
    linearToSrgb(MI[6] * X + MI[7] * Y + MI[8] * Z),
  ];
}

/** L*a*b* → 8-bit sRGB, rounded and clamped to the gamut. */
export function labToSrgb(lab: Lab): [number, number, number] {
  const [r, g, b] = labToSrgbFloat(lab);
  const q = (v: number) => Math.min(255, Math.max(0, Math.round(v)));
  return [q(r), q(g), q(b)];
}

/** CIE76 colour difference ΔE*ab. */
export function deltaE76(p: Lab, q: Lab): number {
  const dL = p.L - q.L;
  const da = p.a - q.a;
  const db = p.b - q.b;
  return Math.sqrt(dL * dL + da * da + db * db);
}

/** `#rrggbb` (or `rrggbb`) → [r, g, b]. */
export function hexToRgb(hex: string): [number, number, number] {
  const h = hex.replace(/^#/, '');
  if (!/^[0-9a-fA-F]{6}$/.test(h)) throw new Error(`not a hex color: ${hex}`);
  const n = parseInt(h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rgbToHex(r: number, g: number, b: number): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

export function labToHex(lab: Lab): string {
  const [r, g, b] = labToSrgb(lab);
  return rgbToHex(r, g, b);
}

export function hexToLab(hex: string): Lab {
  const [r, g, b] = hexToRgb(hex);
  return srgbToLab(r, g, b);
}

// f(t) sampled on [0, 1] at 4096 steps. Below ε the function is linear, so interpolation is
// exact there; above, the interpolation error is < 1e-4 in f (< 0.01 in L*, see the tests).
const F_STEPS = 4096;
// Float32 values (the table's precision) held as float64, so a lookup needs no widening.
const F_LUT: Float64Array = (() => {
  const t = new Float64Array(F_STEPS + 2);
  for (let i = 0; i <= F_STEPS + 1; i++) t[i] = Math.fround(labF(i / F_STEPS));
  return t;
})();

/** f(t) of CIELAB from the table (see above); shared by every image conversion. */
export function fLut(t: number): number {
  if (t <= 0) return 16 / 116;
  const x = (t >= 1 ? 1 : t) * F_STEPS;
  const k = x | 0;
  const v0 = F_LUT[k];
  return v0 + (F_LUT[k + 1] - v0) * (x - k);
}

/**
 * Per-pixel L*a*b* of an image, into Float32Arrays. With a mask, only masked pixels are
 * converted (the rest stay 0); without, the whole image is.
 */
export function imageToLab(image: RgbImage, mask?: Mask): LabImage {
  const n = image.width * image.height;
  const L = new Float32Array(n);
  const A = new Float32Array(n);
  const B = new Float32Array(n);
  const d = image.data;
  const md = mask?.data;
  const lin = SRGB_TO_LINEAR;
  const m0 = M[0] / D65.X, m1 = M[1] / D65.X, m2 = M[2] / D65.X;
  const m3 = M[3], m4 = M[4], m5 = M[5];
  const m6 = M[6] / D65.Z, m7 = M[7] / D65.Z, m8 = M[8] / D65.Z;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    if (md !== undefined && md[i] === 0) continue;
    const R = lin[d[j]];
    const G = lin[d[j + 1]];
    const Bl = lin[d[j + 2]];
    const fx = fLut(m0 * R + m1 * G + m2 * Bl);
    const fy = fLut(m3 * R + m4 * G + m5 * Bl);
    const fz = fLut(m6 * R + m7 * G + m8 * Bl);
    L[i] = 116 * fy - 16;
    A[i] = 500 * (fx - fy);
    B[i] = 200 * (fy - fz);
  }
  return { width: image.width, height: image.height, L, a: A, b: B };
}
