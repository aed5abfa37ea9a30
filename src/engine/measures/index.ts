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
import type { DarkCircles, Pose, Quality, Redness, SkinTone, SkinType, Wrinkles } from '../result/schema.ts';
import { createMeasureContext, type MeasureContext } from './context.ts';
import { measureDarkCircles } from './dark-circles.ts';
import { measureQuality, type QualityThresholds } from './quality.ts';
import { measureRedness } from './redness.ts';
import { measureSkinTone } from './skin-tone.ts';
import { measureSkinType } from './skin-type.ts';
import { measureTexture } from './texture.ts';
import type { MeasureInput } from './types.ts';
import { measureWrinkles } from './wrinkles.ts';

export interface CvMeasures {
  skin_tone: SkinTone;
  skin_type: SkinType;
  texture_quality: number | null;
  wrinkles: Wrinkles;
  dark_circles: DarkCircles;
  redness: Redness;
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

const round4 = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 1e4);

export function measureFace(
  input: MeasureInput,
  ctx: { faceSizePx: number; pose: Pose },
  options: MeasureOptions = {},
): MeasureOutput {
  const extra = [...Object.values(input.regions), ...Object.values(input.wrinkleZones)];
  const mc: MeasureContext = createMeasureContext(input.image, input.skin, input.interOcularPx, extra);
  const r = input.regions;
  const { quality, confidence } = measureQuality(mc, { faceSizePx: ctx.faceSizePx, pose: ctx.pose }, options.quality);
  return {
    cv: {
      skin_tone: measureSkinTone(mc, r),
      skin_type: measureSkinType(mc, r),
      texture_quality: round4(measureTexture(mc).quality),
      wrinkles: measureWrinkles(mc, input.wrinkleZones),
      dark_circles: measureDarkCircles(mc, r),
      redness: measureRedness(mc, r),
    },
    quality,
    confidence,
  };
}

const NOT_APPLICABLE = { available: false as const, reason: 'not applicable in close-up mode' };

export function measureCloseup(image: RgbImage, skin: Mask, options: MeasureOptions = {}): MeasureOutput {
  const nominalIod = Math.min(image.width, image.height) / 4;
  const mc = createMeasureContext(image, skin, nominalIod);
  const { quality, confidence } = measureQuality(mc, { faceSizePx: null, pose: null }, options.quality);
  return {
    cv: {
      skin_tone: measureSkinTone(mc),
      skin_type: NOT_APPLICABLE,
      texture_quality: round4(measureTexture(mc).quality),
      wrinkles: NOT_APPLICABLE,
      dark_circles: NOT_APPLICABLE,
      redness: measureRedness(mc),
    },
    quality,
    confidence,
  };
}

export { createMeasureContext } from './context.ts';
export type { MeasureContext } from './context.ts';
export type { MeasureInput } from './types.ts';
