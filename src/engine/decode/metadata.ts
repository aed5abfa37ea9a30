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
 * 0x0112; CIPA DC-008 EXIF 2.32 §4.6.4) when it is not 1. The orientation is the one libvips
 * reads (sharp `metadata()`), not our own parse of the EXIF: a review found odd entries (a LONG
 * value, a corrupt count, a PNG eXIf after IDAT) where a parser of our own and the decoder
 * disagreed, which turned the stripped photo by 90°.
 * Dropped: JPEG APP1 (EXIF, XMP), APP3–APP13 and APP15 (IPTC/Photoshop, MPF, vendor blocks),
 * non-ICC APP2 (MPF) and COM, wherever they sit (also between the scans of a progressive file),
 * fill bytes and stray bytes between segments (libjpeg skips them too), and everything after the
 * EOI (MPF's appended preview and depth images carry their own EXIF); PNG eXIf, tEXt, zTXt, iTXt,
 * tIME and unknown ancillary chunks (lower-case first letter: PNG spec §5.4) other than the colour
 * ones; WebP EXIF and "XMP ". Other formats, and files the decoder cannot read, come back
 * unchanged (the decoder refuses them).
 */
import sharp from 'sharp';
import { crc32 } from 'node:zlib';
import { pngChunks, type PngChunk } from './png-chunks.ts';

const ORIENTATION_TAG = 0x0112;

export async function stripImageMetadata(bytes: Uint8Array): Promise<Uint8Array> {
  const kind = bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 ? 'jpeg'
    : bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 ? 'png'
      : bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP' ? 'webp' : null;
  if (kind === null) return bytes;
  let orientation: number;
  try {
    orientation = (await sharp(bytes).metadata()).orientation ?? 1;
  } catch {
    return bytes; // the decoder cannot read it either: the analysis refuses it
  }
  return kind === 'jpeg' ? stripJpeg(bytes, orientation) : kind === 'png' ? stripPng(bytes, orientation) : stripWebp(bytes, orientation);
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

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

// Node's Buffer.concat: one copy into a fresh buffer (a Buffer is a Uint8Array).
const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

// --- JPEG ---

function keepJpegSegment(marker: number, data: Uint8Array): boolean {
  if (marker < 0xe0 || marker > 0xef) return marker !== 0xfe; // tables, frame headers… kept; COM dropped
  if (marker === 0xe0) return ascii(data, 0, 5) === 'JFIF\0';
  if (marker === 0xe2) return ascii(data, 0, 12) === 'ICC_PROFILE\0';
  if (marker === 0xee) return ascii(data, 0, 5) === 'Adobe';
  return false;
}

/**
 * Walks the whole file as libjpeg does (T.81 §B.1.1: a marker is 0xFF, any number of 0xFF fill
 * bytes, then its code; libjpeg's next_marker skips other stray bytes). After SOS comes
 * entropy-coded data, in which 0xFF is followed by 0x00 (stuffing) or a restart marker D0–D7;
 * any other marker ends it (a progressive file's next DHT/SOS, or EOI). A segment length past the
 * end stops the strip: the file is then kept as it is.
 */
function stripJpeg(bytes: Uint8Array, orientation: number): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 2)];
  let pos = 2;
  let wroteExif = orientation === 1;
  const writeExif = () => {
    if (wroteExif) return;
    wroteExif = true;
    const tiff = orientationTiff(orientation);
    const payload = 2 + EXIF_ID.length + tiff.length;
    parts.push(Uint8Array.of(0xff, 0xe1, payload >> 8, payload & 0xff), new TextEncoder().encode(EXIF_ID), tiff);
  };
  while (pos + 1 < bytes.length) {
    if (bytes[pos] !== 0xff) {
      pos = bytes.indexOf(0xff, pos); // stray bytes: dropped, as libjpeg skips them
      if (pos < 0) break;
      continue;
    }
    if (bytes[pos + 1] === 0xff) {
      pos++; // a fill byte
      continue;
    }
    const marker = bytes[pos + 1];
    if (marker === 0xd9) {
      writeExif();
      parts.push(bytes.subarray(pos, pos + 2));
      return concat(parts); // anything after EOI is dropped
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      parts.push(bytes.subarray(pos, pos + 2)); // standalone markers
      pos += 2;
      continue;
    }
    if (pos + 4 > bytes.length) return bytes;
    const end = pos + 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
    if (end > bytes.length || end < pos + 4) return bytes;
    const data = bytes.subarray(pos + 4, end);
    // APP1 EXIF goes after APP0 JFIF when there is one (JFIF §B: APP0 first), else right after SOI.
    if (!(marker === 0xe0 && keepJpegSegment(marker, data))) writeExif();
    if (keepJpegSegment(marker, data)) parts.push(bytes.subarray(pos, end));
    pos = end;
    if (marker === 0xda) {
      const next = entropyEnd(bytes, pos);
      parts.push(bytes.subarray(pos, next));
      pos = next;
    }
  }
  // No EOI (a truncated file): what was read, as the decoder would.
  writeExif();
  return concat(parts);
}

/** The first marker after entropy-coded data starting at `from` that is not stuffing or a restart. */
function entropyEnd(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(0xff, from); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
    const next = bytes[i + 1];
    if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return i;
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

function stripPng(bytes: Uint8Array, orientation: number): Uint8Array {
  const chunks: PngChunk[] = [...pngChunks(bytes)];
  if (chunks.length === 0 || chunks[0].type !== 'IHDR') return bytes;
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const c of chunks) {
    const critical = c.type.charCodeAt(0) < 0x61; // upper-case first letter (PNG spec §5.4)
    if (critical || PNG_KEEP_ANCILLARY.has(c.type)) parts.push(bytes.subarray(c.start, c.end));
    // eXIf must come before IDAT (PNG spec §11.3.6.1): right after IHDR.
    if (c.type === 'IHDR' && orientation !== 1) parts.push(pngChunkBytes('eXIf', orientationTiff(orientation)));
  }
  // Without IEND (a truncated file the decoder still reads) the rest is kept as it is.
  if (chunks.at(-1)!.type !== 'IEND') parts.push(bytes.subarray(chunks.at(-1)!.end));
  return concat(parts);
}

// --- WebP (RIFF container, Google's "WebP Container Specification") ---

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function stripWebp(bytes: Uint8Array, orientation: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: string; start: number; end: number }[] = [];
  for (let pos = 12; pos + 8 <= bytes.length; ) {
    const size = view.getUint32(pos + 4, true);
    const end = pos + 8 + size + (size & 1); // chunks are padded to even sizes
    if (end > bytes.length) return bytes;
    chunks.push({ type: ascii(bytes, pos, 4), start: pos, end });
    pos = end;
  }
  if (!chunks.some((c) => c.type === 'EXIF' || c.type === 'XMP ')) return bytes; // nothing to drop
  const vp8x = chunks.some((c) => c.type === 'VP8X');
  // An orientation needs the extended format's EXIF flag; a simple file that has one is left as it is.
  if (!vp8x && orientation !== 1) return bytes;
  // Copies (a Buffer's slice would share, and change, the caller's bytes).
  const riff = Uint8Array.from(bytes.subarray(0, 12)); // size rewritten below
  const parts: Uint8Array[] = [riff];
  for (const c of chunks) {
    if (c.type === 'EXIF' || c.type === 'XMP ') continue;
    if (c.type !== 'VP8X') {
      parts.push(bytes.subarray(c.start, c.end));
      continue;
    }
    const chunk = Uint8Array.from(bytes.subarray(c.start, c.end)); // the only chunk that changes: its flags
    chunk[8] = (chunk[8] & ~(VP8X_EXIF | VP8X_XMP)) | (orientation !== 1 ? VP8X_EXIF : 0);
    parts.push(chunk);
  }
  // The EXIF chunk goes last (the container's chunk order: … image data, EXIF, XMP).
  if (orientation !== 1) {
    const tiff = orientationTiff(orientation);
    const head = new Uint8Array(8);
    head.set(new TextEncoder().encode('EXIF'));
    new DataView(head.buffer).setUint32(4, tiff.length, true);
    parts.push(head, tiff);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  new DataView(riff.buffer).setUint32(4, total - 8, true); // RIFF size: everything after it
  return concat(parts);
}
