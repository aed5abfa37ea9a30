/**
 * A photo without its metadata, for storage: a face photo's EXIF can carry where and when it was
 * taken (GPS IFD 0x8825, DateTimeOriginal), the camera's serial number and a thumbnail, and XMP or
 * IPTC the same and more. Nothing in skinsight reads them, so the service keeps (and analyses)
 * the file without them. Lossless: the image data is copied byte for byte, only metadata goes.
 *
 * Kept, because the pixels depend on them: the ICC profile (JPEG APP2 "ICC_PROFILE", PNG iCCP,
 * WebP ICCP), JPEG APP14 "Adobe" (the colour transform of CMYK/YCCK files), JFIF APP0, PNG's
 * colour chunks (gAMA, cHRM, sRGB, sBIT) and the EXIF orientation, which is written back as a
 * minimal EXIF block holding only that tag (TIFF 6.0 §2 header + IFD0 with one SHORT entry
 * 0x0112; CIPA DC-008 EXIF 2.32 §4.6.4) when it is not 1.
 * Dropped: JPEG APP1 (EXIF, XMP), APP3–APP13 and APP15 (IPTC/Photoshop, MPF, vendor blocks),
 * non-ICC APP2 (MPF), COM, and everything after the first EOI (MPF's appended preview and depth
 * images carry their own EXIF); PNG eXIf, tEXt, zTXt, iTXt, tIME and unknown ancillary chunks
 * (lower-case first letter: PNG spec §5.4) other than the colour ones; WebP EXIF and "XMP ".
 * Other formats, and files too odd to walk, come back unchanged (the decoder judges them).
 */
import { crc32 } from 'node:zlib';
import { jpegHead } from './jpeg-segments.ts';
import { pngChunks, type PngChunk } from './png-chunks.ts';

const ORIENTATION_TAG = 0x0112;

export function stripImageMetadata(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return stripJpeg(bytes);
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return stripPng(bytes);
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return stripWebp(bytes);
  return bytes;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** The orientation (1–8) in a TIFF-structured EXIF block, or null (IFD0 only, as decoders read it). */
export function exifOrientation(tiff: Uint8Array): number | null {
  if (tiff.length < 8) return null;
  const order = ascii(tiff, 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const le = order === 'II';
  if (view.getUint16(2, le) !== 42) return null;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > tiff.length) return null;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > tiff.length) return null;
    if (view.getUint16(at, le) !== ORIENTATION_TAG) continue;
    const value = view.getUint16(at + 8, le); // a SHORT sits left-justified in the value field
    return value >= 1 && value <= 8 ? value : null;
  }
  return null;
}

/** Big-endian TIFF: header, IFD0 with the one orientation entry, no next IFD (26 bytes). */
function orientationTiff(orientation: number): Uint8Array {
  const t = new Uint8Array(26);
  const v = new DataView(t.buffer);
  t.set([0x4d, 0x4d, 0, 42]); // "MM", 42
  v.setUint32(4, 8); // IFD0 at 8
  v.setUint16(8, 1); // one entry
  v.setUint16(10, ORIENTATION_TAG);
  v.setUint16(12, 3); // SHORT
  v.setUint32(14, 1); // count 1
  v.setUint16(18, orientation);
  v.setUint32(22, 0); // no next IFD
  return t;
}

const EXIF_ID = 'Exif\0\0';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// --- JPEG ---

function keepJpegSegment(marker: number, data: Uint8Array): boolean {
  if (marker < 0xe0 || marker > 0xef) return marker !== 0xfe; // tables, frame headers… kept; COM dropped
  if (marker === 0xe0) return ascii(data, 0, 5) === 'JFIF\0';
  if (marker === 0xe2) return ascii(data, 0, 12) === 'ICC_PROFILE\0';
  if (marker === 0xee) return ascii(data, 0, 5) === 'Adobe';
  return false;
}

function stripJpeg(bytes: Uint8Array): Uint8Array {
  const head = jpegHead(bytes);
  if (head.sos < 0) return bytes;
  let orientation: number | null = null;
  for (const s of head.segments) {
    if (s.marker === 0xe1 && ascii(s.data, 0, 6) === EXIF_ID) orientation ??= exifOrientation(s.data.subarray(6));
  }
  const parts: Uint8Array[] = [bytes.subarray(0, 2)];
  const kept = head.segments.filter((s) => keepJpegSegment(s.marker, s.data));
  // APP1 EXIF goes after APP0 JFIF when there is one (JFIF §B: APP0 first), else right after SOI.
  const jfif = kept.length > 0 && kept[0].marker === 0xe0 ? 1 : 0;
  for (const s of kept.slice(0, jfif)) parts.push(bytes.subarray(s.start, s.end));
  if (orientation !== null && orientation !== 1) {
    const tiff = orientationTiff(orientation);
    const payload = 2 + EXIF_ID.length + tiff.length;
    parts.push(Uint8Array.of(0xff, 0xe1, payload >> 8, payload & 0xff), new TextEncoder().encode(EXIF_ID), tiff);
  }
  for (const s of kept.slice(jfif)) parts.push(bytes.subarray(s.start, s.end));
  parts.push(bytes.subarray(head.sos, endOfImage(bytes, head.sos)));
  return concat(parts);
}

/**
 * Just past the first EOI after `from`. In entropy-coded data a 0xFF byte is followed by 0x00
 * (stuffing), a restart marker or another segment's marker, never by 0xD9, so the first FF D9 is
 * the image's end (T.81 §B.1.1.5). No EOI (a truncated file): everything.
 */
function endOfImage(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(0xff, from); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
    if (bytes[i + 1] === 0xd9) return i + 2;
  }
  return bytes.length;
}

// --- PNG ---

const PNG_KEEP_ANCILLARY = new Set(['iCCP', 'gAMA', 'cHRM', 'sRGB', 'sBIT', 'tRNS', 'bKGD', 'pHYs', 'PLTE']);

function pngChunkBytes(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function stripPng(bytes: Uint8Array): Uint8Array {
  const chunks: PngChunk[] = [...pngChunks(bytes)];
  if (chunks.length === 0 || chunks[0].type !== 'IHDR' || chunks.at(-1)!.type !== 'IEND') return bytes;
  const exif = chunks.find((c) => c.type === 'eXIf');
  const orientation = exif ? exifOrientation(exif.data) : null;
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const c of chunks) {
    const critical = c.type.charCodeAt(0) < 0x61; // upper-case first letter (PNG spec §5.4)
    if (critical || PNG_KEEP_ANCILLARY.has(c.type)) parts.push(bytes.subarray(c.start, c.end));
    // eXIf must come before IDAT (PNG spec §11.3.6.1): right after IHDR.
    if (c.type === 'IHDR' && orientation !== null && orientation !== 1) parts.push(pngChunkBytes('eXIf', orientationTiff(orientation)));
  }
  return concat(parts);
}

// --- WebP (RIFF container, Google's "WebP Container Specification") ---

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function stripWebp(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: string; start: number; end: number }[] = [];
  for (let pos = 12; pos + 8 <= bytes.length; ) {
    const size = view.getUint32(pos + 4, true);
    const end = pos + 8 + size + (size & 1); // chunks are padded to even sizes
    if (end > bytes.length) return bytes;
    chunks.push({ type: ascii(bytes, pos, 4), start: pos, end });
    pos = end;
  }
  const exif = chunks.find((c) => c.type === 'EXIF');
  const vp8x = chunks.find((c) => c.type === 'VP8X');
  if (!vp8x || (!exif && !chunks.some((c) => c.type === 'XMP '))) return bytes; // nothing to drop
  let body = exif ? bytes.subarray(exif.start + 8, exif.start + 8 + view.getUint32(exif.start + 4, true)) : null;
  if (body && ascii(body, 0, 6) === EXIF_ID) body = body.subarray(6); // some writers keep the JPEG prefix
  const orientation = body ? exifOrientation(body) : null;
  const parts: Uint8Array[] = [];
  for (const c of chunks) {
    if (c.type === 'EXIF' || c.type === 'XMP ') continue;
    const chunk = bytes.slice(c.start, c.end);
    if (c.type === 'VP8X') chunk[8] = (chunk[8] & ~(VP8X_EXIF | VP8X_XMP)) | (orientation !== null && orientation !== 1 ? VP8X_EXIF : 0);
    parts.push(chunk);
  }
  // The EXIF chunk goes last (the container's chunk order: … image data, EXIF, XMP).
  if (orientation !== null && orientation !== 1) {
    const tiff = orientationTiff(orientation);
    const head = new Uint8Array(8);
    head.set(new TextEncoder().encode('EXIF'));
    new DataView(head.buffer).setUint32(4, tiff.length, true);
    parts.push(head, tiff);
  }
  const body2 = concat(parts);
  const riff = new Uint8Array(12);
  riff.set(bytes.subarray(0, 12));
  new DataView(riff.buffer).setUint32(4, 4 + body2.length, true);
  return concat([riff, body2]);
}
