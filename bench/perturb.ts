/**
 * Benign changes of a photo, for the repeatability run and the metamorphic colour tests:
 * what a second shot of the same face under the same conditions could differ by.
 * Each takes encoded bytes and returns encoded bytes (PNG, lossless, except the JPEG change).
 * Light is changed in linear sRGB: exposure multiplies it; a white-balance shift applies the
 * von Kries gains from the sRGB white (D65) to the Planckian white ΔK away (a camera that
 * mis-guessed the light by ΔK; negative = warmer light, as under tungsten), luminance kept
 * (as a camera's auto exposure would): under strong warm light the red channel clips, as it does
 * in real photos.
 */
import sharp from 'sharp';
import { applyGains } from '../src/engine/measures/white-balance.ts';
import { D65_CCT, planckRgb, vonKriesGains, type Rgb } from '../src/engine/measures/illuminant.ts';

export interface Change {
  name: string;
  apply(bytes: Buffer): Promise<Buffer>;
}

async function raw(bytes: Buffer): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

const png = (img: { width: number; height: number; data: Uint8Array }) =>
  sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();

/** Multiplies linear light by `gains` (clipped pixels stay clipped). */
export async function relight(bytes: Buffer, gains: Rgb): Promise<Buffer> {
  return png(applyGains(await raw(bytes), gains));
}

export const exposure = (factor: number): Change => ({ name: `exposure ×${factor}`, apply: (b) => relight(b, [factor, factor, factor]) });

/** Gains of a white-balance shift of `deltaK` from the sRGB white. */
export function whiteShiftGains(deltaK: number): Rgb {
  return vonKriesGains(planckRgb(D65_CCT), planckRgb(D65_CCT + deltaK));
}
export const whiteShift = (deltaK: number): Change => ({
  name: `white balance ${deltaK > 0 ? '+' : ''}${deltaK} K`,
  apply: (b) => relight(b, whiteShiftGains(deltaK)),
});

export const jpeg = (q: number): Change => ({
  name: `JPEG q${q}`,
  apply: async (b) => sharp(b).rotate().removeAlpha().jpeg({ quality: q }).toBuffer(),
});

export const resize = (f: number): Change => ({
  name: `resize ×${f}`,
  apply: async (b) => {
    const m = await sharp(b).rotate().metadata();
    const w = m.autoOrient?.width ?? m.width ?? 0;
    return sharp(b).rotate().removeAlpha().resize(Math.round(w * f)).png({ compressionLevel: 1 }).toBuffer();
  },
});

/** Rotation by `deg` about the centre, keeping the size (corners filled with mid grey). */
export const rotate = (deg: number): Change => ({
  name: `rotate ${deg > 0 ? '+' : ''}${deg}°`,
  apply: async (b) => {
    const m = await raw(b);
    const rotated = await sharp(Buffer.from(m.data), { raw: { width: m.width, height: m.height, channels: 3 } })
      .rotate(deg, { background: { r: 128, g: 128, b: 128 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const left = Math.floor((rotated.info.width - m.width) / 2);
    const top = Math.floor((rotated.info.height - m.height) / 2);
    return sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 } })
      .extract({ left, top, width: m.width, height: m.height })
      .png({ compressionLevel: 1 })
      .toBuffer();
  },
});

/** Cuts `px` pixels off the left and top edges (the face moves by a few pixels in the frame). */
export const cropShift = (px: number): Change => ({
  name: `crop shift ${px} px`,
  apply: async (b) => {
    const m = await raw(b);
    return sharp(Buffer.from(m.data), { raw: { width: m.width, height: m.height, channels: 3 } })
      .extract({ left: px, top: px, width: m.width - px, height: m.height - px })
      .png({ compressionLevel: 1 })
      .toBuffer();
  },
});

/** The full set of benign changes (§2 of issue #13). */
export const BENIGN_CHANGES: readonly Change[] = [
  jpeg(70), jpeg(80), jpeg(95),
  resize(0.6), resize(0.8),
  rotate(-5), rotate(5),
  exposure(0.85), exposure(1.15),
  whiteShift(-300), whiteShift(300),
  cropShift(3), cropShift(8),
];

/** A smaller set with one change of each kind, for `npm test`. */
export const REDUCED_CHANGES: readonly Change[] = [jpeg(75), resize(0.7), rotate(4), exposure(1.15), whiteShift(-300), cropShift(5)];
