/**
 * The one L*a*b* conversion of a measure context, and the histogram bins of its values, in a
 * single pass over the pixels that some measure reads (issue #14: "one Lab conversion, fewer
 * passes").
 *
 * Which pixels: `need[i]` = 2 where L*, a* and b* are read (the skin and every region and zone
 * mask), 1 where only L* is (the neighbours of skin pixels that the sharpness Laplacian reads,
 * quality.ts), 0 elsewhere (left 0). The arithmetic is color.ts's (IEC 61966-2-1 sRGB, CIE
 * 15:2004 L*a*b*, f(t) from the same table), so the values equal imageToLab's exactly.
 *
 * Bins, at the need = 2 pixels: L* in [0, 100) and a*, b* in [−64, 96) at 10 bins per unit
 * (values beyond go into the end bins), the ranges and widths robust.ts's trimmed medians use;
 * a pixel with any channel ≥ CLIP_LEVEL (clipped: no colour information) gets L bin CLIPPED,
 * which is how every measure tells a clipped pixel (robust colour, exposure, redness, shine).
 */
import type { RgbImage } from '../image.ts';
import { D65, fLut, SRGB_TO_LINEAR, SRGB_TO_XYZ as M, type LabImage } from './color.ts';

/** 8-bit level from which a pixel is clipped (specular highlights, blown-out areas). */
export const CLIP_LEVEL = 250;
/** Histogram bins per unit of L*, a*, b*: medians to 0.1. */
export const BPU = 10;
export const AB_LO = -64;
export const AB_BINS = 160 * BPU;
export const L_BINS = 100 * BPU;
/** L bin of a clipped pixel (above every real bin). */
export const CLIPPED = 0xffff;

export function binOf(v: number, lo: number, bins: number): number {
  const k = ((v - lo) * BPU) | 0;
  return k < 0 ? 0 : k >= bins ? bins - 1 : k;
}

export interface LabPlanes {
  readonly lab: LabImage;
  readonly binL: Uint16Array;
  readonly binA: Uint16Array;
  readonly binB: Uint16Array;
}

/** Planes for an image of `n` pixels: zeroed new arrays, or the given (zeroed) ones. */
export function labPlanes(width: number, height: number, arrays?: { L: Float32Array; a: Float32Array; b: Float32Array; binL: Uint16Array; binA: Uint16Array; binB: Uint16Array }): LabPlanes {
  const n = width * height;
  const t = arrays ?? {
    L: new Float32Array(n), a: new Float32Array(n), b: new Float32Array(n),
    binL: new Uint16Array(n), binA: new Uint16Array(n), binB: new Uint16Array(n),
  };
  return { lab: { width, height, L: t.L, a: t.a, b: t.b }, binL: t.binL, binA: t.binA, binB: t.binB };
}

const m0 = M[0] / D65.X, m1 = M[1] / D65.X, m2 = M[2] / D65.X;
const m3 = M[3], m4 = M[4], m5 = M[5];
const m6 = M[6] / D65.Z, m7 = M[7] / D65.Z, m8 = M[8] / D65.Z;

/** The sRGB linearisation table (color.ts) as float64: the same values, no widening per lookup. */
const LIN: Float64Array = Float64Array.from(SRGB_TO_LINEAR);

/** Converts every pixel of `image` with need[i] ≠ 0 into `p` (see the header). */
export function convertNeeded(image: RgbImage, need: Uint8Array, p: LabPlanes): void {
  const n = image.width * image.height;
  const d = image.data;
  const lin = LIN;
  const { L, a, b } = p.lab;
  const { binL, binA, binB } = p;
  for (let i = 0; i < n; i++) {
    const k = need[i];
    if (k === 0) continue;
    const j = i * 3;
    const r8 = d[j], g8 = d[j + 1], b8 = d[j + 2];
    const R = lin[r8], G = lin[g8], Bl = lin[b8];
    const fy = fLut(m3 * R + m4 * G + m5 * Bl);
    L[i] = 116 * fy - 16;
    if (k !== 2) continue;
    a[i] = 500 * (fLut(m0 * R + m1 * G + m2 * Bl) - fy);
    b[i] = 200 * (fy - fLut(m6 * R + m7 * G + m8 * Bl));
    // Bins of the stored (float32) values, as robust.ts computed them from the planes.
    binL[i] = r8 >= CLIP_LEVEL || g8 >= CLIP_LEVEL || b8 >= CLIP_LEVEL ? CLIPPED : binOf(L[i], 0, L_BINS);
    binA[i] = binOf(a[i], AB_LO, AB_BINS);
    binB[i] = binOf(b[i], AB_LO, AB_BINS);
  }
}

/** Converts the pixels of `idx` with L*, a*, b* and bins (a mask indexed after the context was made). */
export function convertAt(image: RgbImage, idx: Int32Array, need: Uint8Array, p: LabPlanes): void {
  const d = image.data;
  const lin = LIN;
  const { L, a, b } = p.lab;
  const { binL, binA, binB } = p;
  for (let q = 0; q < idx.length; q++) {
    const i = idx[q];
    if (need[i] === 2) continue;
    need[i] = 2;
    const j = i * 3;
    const r8 = d[j], g8 = d[j + 1], b8 = d[j + 2];
    const R = lin[r8], G = lin[g8], Bl = lin[b8];
    const fy = fLut(m3 * R + m4 * G + m5 * Bl);
    L[i] = 116 * fy - 16;
    a[i] = 500 * (fLut(m0 * R + m1 * G + m2 * Bl) - fy);
    b[i] = 200 * (fy - fLut(m6 * R + m7 * G + m8 * Bl));
    binL[i] = r8 >= CLIP_LEVEL || g8 >= CLIP_LEVEL || b8 >= CLIP_LEVEL ? CLIPPED : binOf(L[i], 0, L_BINS);
    binA[i] = binOf(a[i], AB_LO, AB_BINS);
    binB[i] = binOf(b[i], AB_LO, AB_BINS);
  }
}
