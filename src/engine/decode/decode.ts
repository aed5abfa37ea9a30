/**
 * Stage 1, decode: bytes → upright sRGB pixels at working resolution.
 * The header is read first, so oversized images are refused before any pixel is decoded;
 * photos whose long side is over `maxSide` are then halved (by powers of two) while decoding.
 * A JPEG or PNG whose stored size (header.ts, read in JS) is within every limit and needs no
 * halving is decoded straight away: the limits do not depend on its EXIF orientation, libvips
 * applies the same pixel limit itself, and its decoded size is checked against the header's. A
 * decoded size that disagrees, or libvips' pixel limit, falls back to the checked path (libvips'
 * header read, then the decode). Any other failure (a damaged or truncated file) is not decoded a
 * second time: libvips reads the header once, which gives the checked path's refusal ("cannot be
 * read", too large, too small) and otherwise the decode error the checked path's identical decode
 * would give (before, a truncated 2048² JPEG was decoded twice: 192 → 395 ms). Pixels and
 * refusals are identical either way (test/decode-pixels.test.ts against main's decode);
 * `decodeWork` counts the libvips calls (test/decode.test.ts: a damaged file is decoded once).
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
    let image: RgbImage;
    try {
      image = await toRgb(pipeline(plan, options));
    } catch (error) {
      return afterFailedDecode(plan, format, options, stored, error);
    }
    if (sameSize(image, stored)) return { image, format, originalWidth: image.width, originalHeight: image.height, scale: 1 };
    // libvips decoded another size than the stored one the limits were checked on: the checked path answers.
  }
  return decodeChecked(plan, format, options);
}

/**
 * The fast decode failed. Libvips' pixel limit means its header disagrees with ours: the checked
 * path answers. Otherwise the header read gives the checked path's refusals; if it passes with the
 * size and no halving, the checked path would run the very same decode (same pipeline, same
 * bytes), so its error is this one. A header that disagrees, or asks for halving, is decoded as
 * the checked path does (the second decode is then a different one).
 */
async function afterFailedDecode(plan: Plan, format: ImageFormat, options: DecodeOptions, stored: StoredSize, error: unknown): Promise<DecodedImage> {
  if (shortReason(error).includes('exceeds pixel limit')) return decodeChecked(plan, format, options);
  const header = await checkedHeader(plan, format, options);
  if (header.scale === 1 && header.width === stored.width && header.height === stored.height) throw damaged(format, error);
  return decodeWithHeader(plan, format, options, header);
}

/** Whether an image has the stored size, in either orientation. */
function sameSize(image: { width: number; height: number }, stored: StoredSize): boolean {
  const { width: w, height: h } = image;
  return (w === stored.width && h === stored.height) || (w === stored.height && h === stored.width);
}

/** libvips calls made by decodeImage since the process started (tests and benches read it; it costs two additions). */
export const decodeWork = { headerReads: 0, pixelDecodes: 0 };

function withinLimits(size: StoredSize, options: DecodeOptions): boolean {
  return size.width * size.height <= options.maxPixels && Math.min(size.width, size.height) >= options.minSide;
}

function pipeline(plan: Plan, options: DecodeOptions): Sharp {
  return sharp(plan.bytes, { limitInputPixels: options.maxPixels, failOn: 'error', sequentialRead: true, ignoreIcc: plan.ignoreIcc }).rotate();
}

async function toRgb(p: Sharp): Promise<RgbImage> {
  decodeWork.pixelDecodes++;
  const { data, info } = await p.removeAlpha().toColorspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The stored size, upright size and halving of a photo, checked against the limits. */
interface Header {
  width: number;
  height: number;
  upright: { w: number; h: number };
  scale: number;
}

/** Header read by libvips first (limits, orientation), then the decode, halved as needed. */
async function decodeChecked(plan: Plan, format: ImageFormat, options: DecodeOptions): Promise<DecodedImage> {
  return decodeWithHeader(plan, format, options, await checkedHeader(plan, format, options));
}

/** libvips' header read, with the checked path's refusals: unreadable, too large, too small. */
async function checkedHeader(plan: Plan, format: ImageFormat, options: DecodeOptions): Promise<Header> {
  let width: number;
  let height: number;
  let orientation: number | undefined;
  try {
    decodeWork.headerReads++;
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
  return { width, height, upright, scale };
}

async function decodeWithHeader(plan: Plan, format: ImageFormat, options: DecodeOptions, { upright, scale }: Header): Promise<DecodedImage> {
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
    throw damaged(format, error);
  }
}

function damaged(format: ImageFormat, error: unknown): SkinsightError {
  return new SkinsightError('CORRUPT_IMAGE', `The ${format.toUpperCase()} file is damaged or truncated: ${shortReason(error)}.`, { cause: error });
}

function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].replace(/\s+$/, '').slice(0, 200);
}
