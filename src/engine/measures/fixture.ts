/**
 * Hand-placed masks for a tight, frontal, square face crop (proportions measured by eye on
 * shared/fixtures/faces/sergey.png). For tests and the bench only: the real masks come from
 * the landmark-based region stage.
 */
import sharp from 'sharp';
import type { Mask, RgbImage } from '../image.ts';
import { SKIN_REGIONS, WRINKLE_ZONES, type MeasureInput, type SkinRegionName, type WrinkleZoneName } from './types.ts';

type Shape =
  | { kind: 'ellipse'; cx: number; cy: number; rx: number; ry: number }
  | { kind: 'rect'; x0: number; y0: number; x1: number; y1: number }
  | { kind: 'capsule'; x0: number; y0: number; x1: number; y1: number; r: number };

/** All coordinates as fractions of the crop side. */
const E = (cx: number, cy: number, rx: number, ry: number): Shape => ({ kind: 'ellipse', cx, cy, rx, ry });
const R = (x0: number, y0: number, x1: number, y1: number): Shape => ({ kind: 'rect', x0, y0, x1, y1 });
const C = (x0: number, y0: number, x1: number, y1: number, r: number): Shape => ({ kind: 'capsule', x0, y0, x1, y1, r });

export const FIXTURE_EYES = { left: { x: 0.367, y: 0.428 }, right: { x: 0.617, y: 0.428 } };

const FACE = E(0.5, 0.54, 0.28, 0.32);
const HAIRLINE_Y = 0.25;
const EXCLUDE: Shape[] = [
  E(FIXTURE_EYES.left.x, FIXTURE_EYES.left.y, 0.06, 0.028),
  E(FIXTURE_EYES.right.x, FIXTURE_EYES.right.y, 0.06, 0.028),
  E(0.36, 0.38, 0.08, 0.024), // brows
  E(0.63, 0.38, 0.08, 0.024),
  E(0.49, 0.675, 0.11, 0.042), // mouth
  E(0.5, 0.575, 0.06, 0.02), // nostrils
];
const REGIONS: Record<SkinRegionName, Shape> = {
  forehead: E(0.5, 0.3, 0.16, 0.04),
  left_cheek: E(0.325, 0.56, 0.065, 0.06),
  right_cheek: E(0.675, 0.56, 0.065, 0.06),
  nose: R(0.465, 0.45, 0.535, 0.545),
  chin: E(0.5, 0.78, 0.08, 0.035),
  under_eye_left: E(FIXTURE_EYES.left.x, 0.478, 0.055, 0.018),
  under_eye_right: E(FIXTURE_EYES.right.x, 0.478, 0.055, 0.018),
};
const ZONES: Record<WrinkleZoneName, Shape[]> = {
  forehead: [REGIONS.forehead],
  crows_feet: [R(0.245, 0.4, 0.29, 0.47), R(0.695, 0.4, 0.74, 0.47)],
  under_eye: [REGIONS.under_eye_left, REGIONS.under_eye_right],
  nasolabial: [C(0.425, 0.57, 0.405, 0.66, 0.015), C(0.575, 0.57, 0.595, 0.66, 0.015)],
};

function inside(s: Shape, u: number, v: number): boolean {
  switch (s.kind) {
    case 'ellipse':
      return ((u - s.cx) / s.rx) ** 2 + ((v - s.cy) / s.ry) ** 2 <= 1;
    case 'rect':
      return u >= s.x0 && u <= s.x1 && v >= s.y0 && v <= s.y1;
    case 'capsule': {
      const dx = s.x1 - s.x0, dy = s.y1 - s.y0;
      const t = Math.max(0, Math.min(1, ((u - s.x0) * dx + (v - s.y0) * dy) / (dx * dx + dy * dy)));
      return (u - s.x0 - t * dx) ** 2 + (v - s.y0 - t * dy) ** 2 <= s.r * s.r;
    }
  }
}

function draw(size: number, shapes: Shape[], within?: Mask): Mask {
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size, v = (y + 0.5) / size;
      const i = y * size + x;
      if ((within === undefined || within.data[i] !== 0) && shapes.some((s) => inside(s, u, v))) data[i] = 1;
    }
  }
  return { width: size, height: size, data };
}

/** Skin, region and wrinkle-zone masks for a `size`×`size` crop. */
export function proportionalMasks(size: number): Pick<MeasureInput, 'skin' | 'regions' | 'wrinkleZones' | 'interOcularPx'> {
  const face = draw(size, [FACE]);
  const excl = draw(size, EXCLUDE);
  const skinData = new Uint8Array(size * size);
  for (let i = 0; i < skinData.length; i++) {
    const y = Math.floor(i / size);
    skinData[i] = face.data[i] && !excl.data[i] && (y + 0.5) / size >= HAIRLINE_Y ? 1 : 0;
  }
  const skin: Mask = { width: size, height: size, data: skinData };
  const regions = Object.fromEntries(SKIN_REGIONS.map((r) => [r, draw(size, [REGIONS[r]], skin)])) as Record<SkinRegionName, Mask>;
  const wrinkleZones = Object.fromEntries(WRINKLE_ZONES.map((z) => [z, draw(size, ZONES[z], skin)])) as Record<WrinkleZoneName, Mask>;
  const interOcularPx = (FIXTURE_EYES.right.x - FIXTURE_EYES.left.x) * size;
  return { skin, regions, wrinkleZones, interOcularPx };
}

/** Load an image file as a square `size`×`size` RGB crop. */
export async function loadSquareRgb(path: string, size: number): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { width: size, height: size, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A MeasureInput for a tight frontal square crop, masks placed by proportion. */
export function fixtureInput(image: RgbImage): MeasureInput {
  if (image.width !== image.height) throw new Error('fixture crops are square');
  const m = proportionalMasks(image.width);
  const landmarks = [
    { x: FIXTURE_EYES.left.x * image.width, y: FIXTURE_EYES.left.y * image.height },
    { x: FIXTURE_EYES.right.x * image.width, y: FIXTURE_EYES.right.y * image.height },
  ];
  return { image, ...m, landmarks };
}
