import type { Mask, Point, RgbImage } from '../image.ts';
import { REGION_NAMES } from '../result/schema.ts';

/** Skin regions drawn from the landmarks (issue #2, stage 3); the result schema names them. */
export const SKIN_REGIONS = REGION_NAMES;
export type SkinRegionName = (typeof SKIN_REGIONS)[number];

/** Zones where wrinkles are looked for; crow's feet and nasolabial folds lie partly outside the skin regions. */
export const WRINKLE_ZONES = ['forehead', 'crows_feet', 'under_eye', 'nasolabial'] as const;
export type WrinkleZoneName = (typeof WRINKLE_ZONES)[number];

/**
 * What the measures see: the eye-line-aligned face crop, its masks and a few landmarks
 * in crop pixel coordinates. Every mask already excludes eyes, brows, lips, nostrils and
 * non-skin pixels (hair, glasses, background).
 */
export interface MeasureInput {
  /** Aligned, square face crop (typically 384×384). */
  image: RgbImage;
  /** Union of all skin pixels of the face (face oval minus eyes, brows, lips, nostrils, non-skin). */
  skin: Mask;
  regions: Record<SkinRegionName, Mask>;
  /** Left and right zones merged per kind. */
  wrinkleZones: Record<WrinkleZoneName, Mask>;
  /** Inter-ocular distance in crop pixels: the scale for size-dependent filters. */
  interOcularPx: number;
  /** All 468 landmarks in crop pixel coordinates. */
  landmarks: Point[];
}
