/**
 * Stage 1, decode: bytes → upright sRGB pixels at working resolution.
 * The header is read first, so oversized images are refused before any pixel is decoded;
 * photos whose long side is over `maxSide` are then halved (by powers of two) while decoding.
 * A JPEG or PNG whose stored size (header.ts, read in JS) is within every limit and needs no
 * halving is decoded straight away: the limits do not depend on its EXIF orientation, libvips
 * applies the same pixel limit itself, and its decoded size is checked against the header's; any
 * disagreement or failure falls back to the checked path (libvips' header read, then the decode),
 * so refusals and their messages are unchanged. Pixels are identical either way
 * (test/decode-pixels.test.ts against main's decode).
 *
 * Shrink-on-load: sharp 0.35 asks libjpeg for a DCT-scaled decode only when the shrink leaves a
 * fractional rest (src/pipeline.cc: "Lower shrink-on-load for known libjpeg rounding errors" halves
 * the JPEG shrink when the factor is an exact integer). So an exact 2× (the case of every photo
 * between 2049 and 4096 px, e.g. biden.jpg and obama3.jpg) is a full-size decode followed by a
 * 2× reduce (VIPS_INFO: "residual reducev by 0.5"), and 4× is a 2× DCT decode and a 2× reduce.
 * The engine's pixels are those (bench/README.md has the timings); a true 1/2 DCT decode would
 * give other pixels, so it is a results change, not a speed change, and sharp offers no way to
 * ask for it.
 */
import sharp, { type Sharp } from 'sharp';
import { isSkinsightError, SkinsightError } from '../errors.ts';
import type { RgbImage } from '../image.ts';
import { sniffImageFormat, type ImageFormat } from './sniff.ts';
import { hasSrgbProfile } from './icc.ts';
import { storedSize, type StoredSize } from './header.ts';
import { dropCompressedText } from './png-chunks.ts';

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default 40 MP). */
  maxPixels: number;
  /** Longest side of the working image; larger photos are halved until they fit (default 2048). */
  maxSide: number;
  /** Refuse images whose shorter side is below this (default 64 px). */
  minSide: number;
}

export interface DecodedImage {
  image: RgbImage;
  format: ImageFormat;
  /** Upright size of the original photo (after EXIF orientation). */
  originalWidth: number;
  originalHeight: number;
  /** working pixels per original pixel (≤ 1). */
  scale: number;
}

/** The file to decode (a PNG without compressed text) and whether its sRGB profile is skipped (icc.ts). */
interface Plan {
  bytes: Uint8Array;
  ignoreIcc: boolean;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { maxPixels: 40_000_000, maxSide: 2048, minSide: 64 };

sharp.cache(false); // each photo is seen once; libvips' operation cache only holds memory

export async function decodeImage(file: Uint8Array, options: DecodeOptions = DEFAULT_DECODE_OPTIONS): Promise<DecodedImage> {
  if (file.length === 0) throw new SkinsightError('EMPTY_IMAGE', 'The file is empty.');
  const format = sniffImageFormat(file);
  if (!format) {
    throw new SkinsightError('UNSUPPORTED_FORMAT', 'Not a JPEG, PNG, WebP or AVIF image (judged from its first bytes).');
  }
  let plan: Plan = { bytes: file, ignoreIcc: false };
  try {
    const bytes = format === 'png' ? dropCompressedText(file) : file;
    plan = { bytes, ignoreIcc: hasSrgbProfile(bytes) };
  } catch (error) {
    if (isSkinsightError(error)) throw error; // a profile bomb
    // an odd metadata segment: decode the file as it is
  }
  // The common photo: within every limit by its stored size, so nothing depends on its
  // orientation and it is decoded as it is, without a separate header read.
  const stored = storedSize(plan.bytes);
  if (stored && withinLimits(stored, options) && Math.max(stored.width, stored.height) <= options.maxSide) {
    const image = await decodeAsIs(plan, options, stored).catch(() => null);
    // null: libvips disagreed with the header or failed; the checked path below gives its answer.
    if (image) return { image, format, originalWidth: image.width, originalHeight: image.height, scale: 1 };
  }
  return decodeChecked(plan, format, options);
}

function withinLimits(size: StoredSize, options: DecodeOptions): boolean {
  return size.width * size.height <= options.maxPixels && Math.min(size.width, size.height) >= options.minSide;
}

function pipeline(plan: Plan, options: DecodeOptions): Sharp {
  return sharp(plan.bytes, { limitInputPixels: options.maxPixels, failOn: 'error', sequentialRead: true, ignoreIcc: plan.ignoreIcc }).rotate();
}

async function toRgb(p: Sharp): Promise<RgbImage> {
  const { data, info } = await p.removeAlpha().toColorspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Null unless libvips decoded the stored size (in either orientation) that the limits were checked on. */
async function decodeAsIs(plan: Plan, options: DecodeOptions, stored: StoredSize): Promise<RgbImage | null> {
  const image = await toRgb(pipeline(plan, options));
  const { width: w, height: h } = image;
  return (w === stored.width && h === stored.height) || (w === stored.height && h === stored.width) ? image : null;
}

/** Header read by libvips first (limits, orientation), then the decode, halved as needed. */
async function decodeChecked(plan: Plan, format: ImageFormat, options: DecodeOptions): Promise<DecodedImage> {
  let width: number;
  let height: number;
  let orientation: number | undefined;
  try {
    const meta = await sharp(plan.bytes, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) throw new Error('missing dimensions');
    width = meta.width;
    height = meta.height;
    orientation = meta.orientation;
  } catch (error) {
    throw new SkinsightError('CORRUPT_IMAGE', `The ${format.toUpperCase()} file cannot be read: ${shortReason(error)}.`, { cause: error });
  }
  if (width * height > options.maxPixels) {
    throw new SkinsightError(
      'IMAGE_TOO_LARGE',
      `The image is ${width}×${height} (${(width * height / 1e6).toFixed(1)} MP); the limit is ${(options.maxPixels / 1e6).toFixed(0)} MP.`,
    );
  }
  // EXIF orientations 5–8 swap width and height.
  const upright = orientation !== undefined && orientation >= 5 ? { w: height, h: width } : { w: width, h: height };
  if (Math.min(upright.w, upright.h) < options.minSide) {
    throw new SkinsightError('IMAGE_TOO_SMALL', `The image is ${upright.w}×${upright.h}; its shorter side must be at least ${options.minSide} px.`);
  }

  // Scale down by a power of two (see the header for which of it libjpeg does while decoding).
  let scale = 1;
  while (Math.max(upright.w, upright.h) * scale > options.maxSide) scale /= 2;
  try {
    let p = pipeline(plan, options);
    if (scale < 1) {
      p = p.resize({
        width: Math.max(1, Math.round(upright.w * scale)),
        height: Math.max(1, Math.round(upright.h * scale)),
        fit: 'fill',
        kernel: 'linear',
        fastShrinkOnLoad: true,
      });
    }
    const image = await toRgb(p);
    return { image, format, originalWidth: upright.w, originalHeight: upright.h, scale: image.width / upright.w };
  } catch (error) {
    throw new SkinsightError('CORRUPT_IMAGE', `The ${format.toUpperCase()} file is damaged or truncated: ${shortReason(error)}.`, { cause: error });
  }
}

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].replace(/\s+$/, '').slice(0, 200);
}
