/**
 * The skin measures' entry points. L*a*b* and the other shared intermediates are computed once
 * per call in a MeasureContext and passed to every measure.
 *
 * Face mode: all measures over the aligned crop and its landmark-based masks.
 * Close-up mode: the whole image is one skin patch; face-based measures (skin type, wrinkles,
 * dark circles) are not applicable. Its physical scale is unknown, so filters use a nominal
 * inter-ocular distance of a quarter of the shorter side (what it is in the 384-px face crop),
 * i.e. close-ups are analysed at the same pixel scale as face crops.
 */
import type { Mask, RgbImage } from '../image.ts';
import type { DarkCircles, Evenness, Pose, Quality, Redness, SkinTone, SkinType, WhiteBalance, Wrinkles } from '../result/schema.ts';
import { contextWithImage, createMeasureContext, MeasureBuffers, type MeasureContext } from './context.ts';
import { measureDarkCircles } from './dark-circles.ts';
import { measureEvenness } from './evenness.ts';
import { measureQuality, type QualityThresholds } from './quality.ts';
import { measureRedness } from './redness.ts';
import { measureSkinTone } from './skin-tone.ts';
import { measureSkinType } from './skin-type.ts';
import { measureTexture } from './texture.ts';
import type { MeasureInput } from './types.ts';
import { measureWrinkles } from './wrinkles.ts';
import { whiteBalance } from './white-balance.ts';

export interface CvMeasures {
  skin_tone: SkinTone;
  skin_type: SkinType;
  texture_quality: number | null;
  wrinkles: Wrinkles;
  dark_circles: DarkCircles;
  redness: Redness;
  evenness: Evenness;
  white_balance: WhiteBalance;
}

export interface MeasureOutput {
  cv: CvMeasures;
  quality: Quality;
  /** 0..1, lowered by every quality issue. */
  confidence: number;
}

export interface MeasureOptions {
  quality?: Partial<QualityThresholds>;
}

/**
 * The large arrays of the measure contexts, lent from one call to the next: a measurement runs
 * synchronously on its thread and keeps no context after it returns (context.ts).
 */
const buffers = new MeasureBuffers();

const round4 = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 1e4);

export function measureFace(
  input: MeasureInput,
  ctx: { faceSizePx: number; pose: Pose },
  options: MeasureOptions = {},
): MeasureOutput {
  const extra = [...Object.values(input.regions), ...Object.values(input.wrinkleZones)];
  // Every measure sees the white-balanced pixels (white-balance.ts).
  const wb = whiteBalance(input.image, input.skin, buffers);
  const mc: MeasureContext = createMeasureContext(wb.image, input.skin, input.interOcularPx, extra, buffers);
  const r = input.regions;
  // Quality judges the photo as taken (its exposure and cast), not the corrected pixels.
  const asTaken = wb.report.corrected ? contextWithImage(mc, input.image) : mc;
  const { quality, confidence } = measureQuality(asTaken, { faceSizePx: ctx.faceSizePx, pose: ctx.pose }, options.quality);
  return {
    cv: {
      skin_tone: withWhiteBalance(measureSkinTone(mc, r, { normaliseExposure: true }), wb.report),
      skin_type: measureSkinType(mc, r),
      texture_quality: round4(measureTexture(mc).quality),
      wrinkles: measureWrinkles(mc, input.wrinkleZones, [r.left_cheek, r.right_cheek]),
      dark_circles: measureDarkCircles(mc, r),
      redness: measureRedness(mc, r),
      evenness: measureEvenness(mc),
      white_balance: wb.report,
    },
    quality,
    confidence,
  };
}

const NOT_APPLICABLE = { available: false as const, reason: 'not applicable in close-up mode' };

export function measureCloseup(image: RgbImage, skin: Mask, options: MeasureOptions = {}): MeasureOutput {
  const nominalIod = Math.min(image.width, image.height) / 4;
  const wb = whiteBalance(image, skin, buffers);
  const mc = createMeasureContext(wb.image, skin, nominalIod, [], buffers);
  const asTaken = wb.report.corrected ? contextWithImage(mc, image) : mc;
  const { quality, confidence } = measureQuality(asTaken, { faceSizePx: null, pose: null }, options.quality);
  return {
    cv: {
      skin_tone: withWhiteBalance(measureSkinTone(mc), wb.report),
      skin_type: NOT_APPLICABLE,
      texture_quality: round4(measureTexture(mc).quality),
      wrinkles: NOT_APPLICABLE,
      dark_circles: NOT_APPLICABLE,
      redness: measureRedness(mc),
      evenness: measureEvenness(mc),
      white_balance: wb.report,
    },
    quality,
    confidence,
  };
}

/** A tone measured without a trustworthy white balance depends on the light: say so. */
function withWhiteBalance(tone: SkinTone, wb: WhiteBalance): SkinTone {
  if (!tone.available || wb.reliable) return tone;
  return { ...tone, reliable: false, warnings: [...tone.warnings, 'no trustworthy white-balance reference (eyes or neutral background): the tone follows the light'] };
}

export type { MeasureInput } from './types.ts';
