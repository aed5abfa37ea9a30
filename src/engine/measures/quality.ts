/**
 * Photo quality: is the picture good enough to trust the skin measures?
 *
 * - Sharpness: variance of the Laplacian (Pech-Pacheco et al. 2000, "Diatom autofocusing in
 *   brightfield microscopy: a comparative study", ICPR) of L* at the skin pixels. Scale-aware:
 *   the Laplacian's step is k = max(1, round(IOD / 96)) pixels, so a crop rendered at twice
 *   the resolution is judged at the same physical scale, and the variance is divided by k⁴
 *   (the Laplacian of a quadratic grows with k²). Normalised: s = v / (v + V0), V0 = 2 (L*²);
 *   BLURRED when s < 0.3 (v < 0.86). Set on the fixtures: the soft, upscaled sergey.png crop
 *   (v ≈ 2.8, s ≈ 0.58) passes; the same after a Gaussian blur of σ = 2 px (v ≈ 0.36) fails.
 * - Exposure on skin L*: mean, dark fraction (L* < 8: crushed shadows), bright fraction (any
 *   channel ≥ 250: clipped). TOO_DARK when mean L* < 18 or dark fraction > 0.3; TOO_BRIGHT when
 *   mean L* > 90 or bright fraction > 0.2. The mean limits leave room for the darkest and
 *   lightest skin tones under normal light.
 * - FACE_TOO_SMALL: face size in the source image < 128 px. FACE_TURNED: |yaw| or |pitch| > 25°.
 * - COLOR_CAST: cast.ts.
 * - SKIN_NOT_FOUND: fewer skin pixels than one region statistic needs (context.ts
 *   minRegionPixels: a disc a tenth of the eye distance across, ≥ 30 px), the same floor below
 *   which skin tone says "too few skin pixels". Nothing can then be judged from the skin, and
 *   the checks above, which read the skin pixels, have nothing to read: before this issue such a
 *   photo passed the gate (obama.jpg as grey at 5 % of its light: a face found, no pixel passing
 *   the skin-colour mask, "passed", acne "excellent, reliable"; at 12 % it read TOO_DARK).
 * Confidence starts at 1 and is multiplied by a factor per issue (ISSUE_PENALTY).
 */
import type { Pose, Quality, QualityIssue } from '../result/schema.ts';
import { QUALITY_ISSUES } from '../result/schema.ts';
import { estimateColorCast } from './cast.ts';
import { clamp01, laplacianStep, minRegionPixels, round, type MeasureContext } from './context.ts';
import { CLIPPED } from './lab-planes.ts';

export type QualityCode = (typeof QUALITY_ISSUES)[number];

export interface QualityThresholds {
  minSharpness: number;
  sharpnessV0: number;
  minMeanL: number;
  maxMeanL: number;
  maxDarkFraction: number;
  maxBrightFraction: number;
  darkL: number;
  minFacePx: number;
  maxYawDeg: number;
  maxPitchDeg: number;
}

export const DEFAULT_QUALITY: QualityThresholds = {
  minSharpness: 0.3,
  sharpnessV0: 2,
  minMeanL: 18,
  maxMeanL: 90,
  maxDarkFraction: 0.3,
  maxBrightFraction: 0.2,
  darkL: 8,
  minFacePx: 128,
  maxYawDeg: 25,
  maxPitchDeg: 25,
};

/** How much each issue lowers the overall confidence (multiplicative). */
export const ISSUE_PENALTY: Record<QualityCode, number> = {
  BLURRED: 0.6,
  TOO_DARK: 0.6,
  TOO_BRIGHT: 0.6,
  FACE_TOO_SMALL: 0.7,
  FACE_TURNED: 0.7,
  COLOR_CAST: 0.8,
  SKIN_NOT_FOUND: 0.5,
};

const TEXT: Record<QualityCode, { message: string; advice: string }> = {
  BLURRED: {
    message: 'The photo is blurred: texture, wrinkles and sharpness-based measures are unreliable.',
    advice: 'Hold the camera still, tap to focus on the face, clean the lens, and use more light so the shutter is fast.',
  },
  TOO_DARK: {
    message: 'The photo is too dark: colors and fine detail are lost in the shadows.',
    advice: 'Face a window or a soft light source; avoid a bright light behind you.',
  },
  TOO_BRIGHT: {
    message: 'The photo is too bright: parts of the skin are blown out to white.',
    advice: 'Step out of direct sunlight or away from the lamp, and turn off the flash.',
  },
  FACE_TOO_SMALL: {
    message: 'The face is too small in the picture for reliable skin detail.',
    advice: 'Move closer so your face fills most of the frame.',
  },
  FACE_TURNED: {
    message: 'The face is turned away from the camera: one side is foreshortened or hidden.',
    advice: 'Look straight into the camera with your head level.',
  },
  COLOR_CAST: {
    message: 'The picture has a strong color tint: skin color measures are unreliable.',
    advice: 'Use daylight or a neutral white light and avoid colored lamps or walls.',
  },
  SKIN_NOT_FOUND: {
    message: 'Too little skin could be found in the face to measure anything.',
    advice: 'Use brighter, even light and make sure your face is uncovered (no mask, hair or hands over it).',
  },
};

export function issue(code: QualityCode, detail?: string): QualityIssue {
  const t = TEXT[code];
  return { code, message: detail ? `${t.message} (${detail})` : t.message, advice: t.advice };
}

/** Variance of the Laplacian of L* at the skin pixels, step k (see header). Raw, in L*² units. */
export function laplacianVariance(ctx: MeasureContext): number {
  const { width: w, height: h } = ctx.image;
  const L = ctx.lab.L;
  const k = laplacianStep(ctx.scalePx);
  const kw = k * w;
  const idx = ctx.skinIdx;
  let s = 0, s2 = 0, n = 0;
  // Skin pixels in raster order (skinIdx is): whole rows outside [k, h − k) are skipped, and
  // the row of a pixel is only recomputed when it leaves the current one (no division per pixel).
  let rowStart = 0, y = 0;
  for (let q = 0; q < idx.length; q++) {
    const i = idx[q];
    while (i >= rowStart + w) {
      rowStart += w;
      y++;
    }
    const x = i - rowStart;
    if (x < k || y < k || x >= w - k || y >= h - k) continue;
    const v = L[i - k] + L[i + k] + L[i - kw] + L[i + kw] - 4 * L[i];
    s += v;
    s2 += v * v;
    n++;
  }
  if (n === 0) return 0;
  const mean = s / n;
  return (s2 / n - mean * mean) / (k * k * k * k);
}

export interface QualityContext {
  /** Face size in the source image in pixels (null in close-up mode). */
  faceSizePx: number | null;
  pose: Pose | null;
  /** false skips the colour-cast check (the camera's live guidance does not judge it). */
  colorCast?: boolean;
}

export function measureQuality(
  ctx: MeasureContext,
  q: QualityContext,
  thresholds: Partial<QualityThresholds> = {},
): { quality: Quality; confidence: number } {
  const t = { ...DEFAULT_QUALITY, ...thresholds };
  const issues: QualityIssue[] = [];
  const idx = ctx.skinIdx;
  const L = ctx.lab.L;
  const binL = ctx.bins.binL;

  const minSkin = minRegionPixels(ctx.scalePx);
  if (idx.length < minSkin) issues.push(issue('SKIN_NOT_FOUND', `${idx.length} skin pixels, at least ${minSkin} wanted`));

  const v = laplacianVariance(ctx);
  const sharpness = clamp01(v / (v + t.sharpnessV0));
  if (idx.length > 0 && sharpness < t.minSharpness) issues.push(issue('BLURRED', `sharpness ${sharpness.toFixed(2)}`));

  let sumL = 0, dark = 0, bright = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    sumL += L[i];
    if (L[i] < t.darkL) dark++;
    if (binL[i] === CLIPPED) bright++;
  }
  const n = Math.max(1, idx.length);
  const meanL = idx.length > 0 ? sumL / n : 0;
  const darkF = dark / n;
  const brightF = bright / n;
  if (idx.length > 0 && (meanL < t.minMeanL || darkF > t.maxDarkFraction)) {
    issues.push(issue('TOO_DARK', `mean skin L* ${meanL.toFixed(0)}, ${(darkF * 100).toFixed(0)}% near black`));
  }
  if (idx.length > 0 && (meanL > t.maxMeanL || brightF > t.maxBrightFraction)) {
    issues.push(issue('TOO_BRIGHT', `mean skin L* ${meanL.toFixed(0)}, ${(brightF * 100).toFixed(0)}% clipped`));
  }
  if (q.faceSizePx !== null && q.faceSizePx < t.minFacePx) {
    issues.push(issue('FACE_TOO_SMALL', `${Math.round(q.faceSizePx)} px, at least ${t.minFacePx} px wanted`));
  }
  if (q.pose !== null && (Math.abs(q.pose.yaw) > t.maxYawDeg || Math.abs(q.pose.pitch) > t.maxPitchDeg)) {
    issues.push(issue('FACE_TURNED', `yaw ${q.pose.yaw.toFixed(0)}°, pitch ${q.pose.pitch.toFixed(0)}°`));
  }
  if (q.colorCast !== false) {
    const cast = estimateColorCast(ctx);
    if (cast.cast) issues.push(issue('COLOR_CAST', cast.reasons.join('; ')));
  }

  const confidence = issues.reduce((c, i) => c * ISSUE_PENALTY[i.code], 1);
  return {
    quality: {
      passed: issues.length === 0,
      issues,
      sharpness: round(sharpness, 4),
      exposure: { mean_L: round(meanL, 2), dark_fraction: round(darkF, 4), bright_fraction: round(brightF, 4) },
      face_size_px: q.faceSizePx,
      pose: q.pose,
    },
    confidence: round(confidence, 4),
  };
}
