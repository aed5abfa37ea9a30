/**
 * Embedded sRGB profiles: libvips converts every photo with an embedded ICC profile to sRGB
 * through LittleCMS, which triples the decode time of a large JPEG. When the embedded profile
 * *is* sRGB, that conversion is the identity, so decode.ts tells sharp to ignore it (`ignoreIcc`,
 * which skips exactly that transform in sharp 0.35's src/pipeline.cc and nothing else). Until
 * issue #14's decode work the file was copied without its APP2 segments / iCCP chunk instead:
 * the same pixels (test/decode-pixels.test.ts), plus a copy of the whole file (0.1 ms for the
 * 0.8 MB astronaut.png). A kept chunk is still read by the decoder: libvips 8.18 accepted
 * sRGB-named PNG profiles with a bad rendering intent, a non-D50 illuminant, a wrong length
 * or a DeviceLink class, under `metadata()` and under the decode (one-off check, 2026-12-01).
 * Any other profile (Display P3, Adobe RGB…) is kept and converted, for correct skin colour.
 *
 * Formats: JPEG APP2 "ICC_PROFILE" segments (ICC.1:2010 Annex B.4) and the PNG iCCP chunk
 * (PNG spec §11.3.3.3). Other formats are left alone.
 *
 * Bombs: a JPEG's profile is a concatenation of its own segments (never more than the file),
 * but a PNG's is zlib-compressed, and 1 MB of zlib inflates to 1 GiB. The inflate is capped at
 * MAX_ICC_BYTES and a PNG whose profile goes past it is refused as corrupt: real profiles are a
 * few kB to a few MB, and libpng itself (sharp's decoder) ignores iCCP chunks over 8 MB.
 */
import { inflateSync } from 'node:zlib';
import { SkinsightError } from '../errors.ts';
import { jpegHead } from './jpeg-segments.ts';
import { pngChunks } from './png-chunks.ts';

export const MAX_ICC_BYTES = 8 * 1024 * 1024;

/** True for profiles whose description names sRGB (e.g. "sRGB IEC61966-2.1", "sRGB built-in"). */
export function isSrgbProfile(icc: Uint8Array): boolean {
  if (icc.length < 132) return false;
  const ascii = (o: number, n: number) => String.fromCharCode(...icc.subarray(o, o + n));
  // Header: data colour space at 16 ("RGB "), PCS at 20 ("XYZ " or "Lab ").
  if (ascii(16, 4) !== 'RGB ') return false;
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  const count = view.getUint32(128);
  for (let t = 0; t < count && 132 + t * 12 + 12 <= icc.length; t++) {
    const at = 132 + t * 12;
    if (ascii(at, 4) !== 'desc') continue;
    const offset = view.getUint32(at + 4);
    const size = view.getUint32(at + 8);
    if (offset + size > icc.length) return false;
    const tag = icc.subarray(offset, offset + size);
    // 'desc' (v2: ASCII) or 'mluc' (v4: UTF-16BE); look for "sRGB" in either encoding.
    const text = String.fromCharCode(...tag).replace(/\0/g, '');
    return text.includes('sRGB');
  }
  return false;
}

/**
 * True when the file embeds an sRGB profile, whose conversion can be skipped (see the header);
 * false without a profile, with another profile, or with a segment too odd to read (converted
 * or judged by the decoder as before). Throws CORRUPT_IMAGE for a PNG profile that inflates
 * past MAX_ICC_BYTES.
 */
export function hasSrgbProfile(bytes: Uint8Array): boolean {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHasSrgbProfile(bytes);
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return pngHasSrgbProfile(bytes);
  return false;
}

const ICC_ID = 'ICC_PROFILE\0';

function jpegHasSrgbProfile(bytes: Uint8Array): boolean {
  const head = jpegHead(bytes);
  if (head.malformed) return false; // let the decoder judge it
  const chunks = head.segments
    .filter((s) => s.marker === 0xe2 && String.fromCharCode(...s.data.subarray(0, 12)) === ICC_ID)
    .map((s) => s.data.subarray(14)); // after the id, sequence number and count
  if (chunks.length === 0) return false;
  const icc = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    icc.set(c, at);
    at += c.length;
  }
  return isSrgbProfile(icc);
}

function pngHasSrgbProfile(bytes: Uint8Array): boolean {
  for (const chunk of pngChunks(bytes)) {
    if (chunk.type === 'IDAT') return false; // iCCP must come before the image data
    if (chunk.type !== 'iCCP') continue;
    const data = chunk.data;
    const nul = data.indexOf(0);
    if (nul < 0 || data[nul + 1] !== 0) return false; // compression method 0 (zlib) only
    let icc: Uint8Array;
    try {
      icc = inflateSync(data.subarray(nul + 2), { maxOutputLength: MAX_ICC_BYTES });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new SkinsightError('CORRUPT_IMAGE', `The PNG's embedded color profile inflates past ${MAX_ICC_BYTES / 1024 / 1024} MB (a decompression bomb?).`);
      }
      return false; // a damaged profile: let the decoder judge the file
    }
    return isSrgbProfile(icc);
  }
  return false;
}
