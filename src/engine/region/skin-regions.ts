/**
 * Stage 3: the face region. From the landmarks, an eye-line-aligned square crop around
 * the face oval (instead of the seed's fixed 20–80 % box; built with its skin mask in
 * face-skin.ts), and polygon masks of the skin regions in that crop. Every region excludes eyes, brows, lips and nostrils (dilated
 * outlines) and any pixel whose colour is far from the face's own skin colour (hair,
 * glasses, shadows, background).
 *
 * Region outlines use MediaPipe canonical-mesh indices (see topology.ts), chosen by
 * drawing the indexed mesh on a frontal test face.
 */
import { createMask, type Mask, type Point, type RgbImage } from '../image.ts';
import { LANDMARK, NASOLABIAL_LEFT, NASOLABIAL_RIGHT } from '../face/topology.ts';
import { SKIN_REGIONS, WRINKLE_ZONES, type MeasureInput, type SkinRegionName, type WrinkleZoneName } from '../measures/types.ts';
import { buildFaceSkin, landmarkPoint, MEASURE_CROP } from './face-skin.ts';
import { fillPolygon, polygonMask, polylineBand } from './raster.ts';
import type { Roi } from '../face/geometry.ts';

export { MEASURE_CROP, skinColorMask } from './face-skin.ts';

/** Outlines of the skin regions (subject's left/right). */
export const REGION_OUTLINES: Record<SkinRegionName, number[]> = {
  forehead: [103, 67, 109, 10, 338, 297, 332, 334, 296, 336, 9, 107, 66, 105],
  right_cheek: [116, 117, 118, 119, 100, 142, 203, 206, 216, 207, 187, 147, 123],
  left_cheek: [345, 346, 347, 348, 329, 371, 423, 426, 436, 427, 411, 376, 352],
  nose: [6, 412, 343, 355, 360, 344, 440, 275, 4, 45, 220, 115, 131, 126, 114, 188],
  chin: [106, 182, 83, 18, 313, 406, 335, 431, 395, 175, 170, 211],
  under_eye_right: [25, 110, 24, 23, 22, 26, 112, 121, 120, 119, 118, 117, 111],
  under_eye_left: [255, 339, 254, 253, 252, 256, 341, 350, 349, 348, 347, 346, 340],
};

export interface FaceRegions {
  /** The crop's region in image pixels. */
  roi: Roi;
  measure: MeasureInput;
  /** Region outlines in image pixels (for drawing). */
  outlines: Record<SkinRegionName, Point[]>;
}




export function buildFaceRegions(image: RgbImage, points: Float32Array): FaceRegions {
  const { roi, crop, skin, landmarks: lm, interOcularPx: iod } = buildFaceSkin(image, points);
  const size = MEASURE_CROP;
  const poly = (indices: number[]) => indices.map((i) => lm[i]);

  const regions = {} as Record<SkinRegionName, Mask>;
  for (const name of SKIN_REGIONS) regions[name] = polygonMask(size, size, poly(REGION_OUTLINES[name]), skin);

  const zones = {} as Record<WrinkleZoneName, Mask>;
  zones.forehead = regions.forehead;
  // Both under-eye regions AND the skin, drawn into one mask (their union, without a pass over two masks).
  zones.under_eye = polygonMask(size, size, poly(REGION_OUTLINES.under_eye_left), skin);
  fillPolygon(zones.under_eye, poly(REGION_OUTLINES.under_eye_right), 1, skin);
  zones.crows_feet = crowsFeet(size, lm, iod, skin);
  // Both folds' bands AND the skin, drawn into one mask (their union).
  zones.nasolabial = polylineBand(size, size, poly(NASOLABIAL_LEFT), iod * 0.07, skin, polylineBand(size, size, poly(NASOLABIAL_RIGHT), iod * 0.07, skin));
  for (const z of WRINKLE_ZONES) if (!zones[z]) throw new Error(`wrinkle zone ${z} missing`);

  const outlines = {} as Record<SkinRegionName, Point[]>;
  for (const name of SKIN_REGIONS) outlines[name] = REGION_OUTLINES[name].map((i) => landmarkPoint(points, i));

  return { roi, measure: { image: crop, skin, regions, wrinkleZones: zones, interOcularPx: iod, landmarks: lm }, outlines };
}

/** Beside each outer eye corner, where crow's feet run (AND `within`): the crop is eye-aligned, so boxes are axis-aligned. */
function crowsFeet(size: number, lm: Point[], iod: number, within: Mask): Mask {
  const mask = createMask(size, size);
  const r = lm[LANDMARK.rightEyeOuter];
  const l = lm[LANDMARK.leftEyeOuter];
  const box = (x0: number, x1: number, y: number) => [
    { x: x0, y: y - 0.15 * iod },
    { x: x1, y: y - 0.15 * iod },
    { x: x1, y: y + 0.22 * iod },
    { x: x0, y: y + 0.22 * iod },
  ];
  fillPolygon(mask, box(r.x - 0.4 * iod, r.x - 0.06 * iod, r.y), 1, within);
  fillPolygon(mask, box(l.x + 0.06 * iod, l.x + 0.4 * iod, l.y), 1, within);
  return mask;
}


