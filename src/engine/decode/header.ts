/**
 * The stored pixel size of a JPEG or PNG, read from its header in JS, so that the common photo
 * (within every limit, no resize) needs no separate libvips header read (sharp `metadata()`,
 * ≈ 0.3 ms, a second parse of the same header). Stored size means before EXIF orientation: the
 * limits that decide the fast path (pixel count, shorter side, longer side) do not depend on it.
 *
 * JPEG: the first SOFn segment (ITU T.81 §B.2.2: P, Y, X after the length), reached by walking the
 * marker segments from SOI, as libjpeg's jpeg_read_header does. PNG: IHDR, which must be the first
 * chunk (PNG spec §11.2.2). Anything unusual (fill bytes, standalone markers, a DNL height of 0,
 * truncation) answers null, and decode.ts then asks libvips as before.
 */
export interface StoredSize {
  width: number;
  height: number;
}

export function storedSize(bytes: Uint8Array): StoredSize | null {
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50) return pngSize(bytes);
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSize(bytes);
  return null;
}

// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), T.81 Table B.1.
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegSize(bytes: Uint8Array): StoredSize | null {
  let pos = 2;
  while (pos + 4 <= bytes.length && bytes[pos] === 0xff) {
    const marker = bytes[pos + 1];
    if (marker === 0xda || marker === 0xd9 || marker === 0xff || marker < 0xc0 || (marker >= 0xd0 && marker <= 0xd7)) return null;
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (length < 2 || pos + 2 + length > bytes.length) return null;
    if (isSof(marker)) {
      if (length < 8) return null;
      const height = (bytes[pos + 5] << 8) | bytes[pos + 6];
      const width = (bytes[pos + 7] << 8) | bytes[pos + 8];
      return width > 0 && height > 0 ? { width, height } : null;
    }
    pos += 2 + length;
  }
  return null;
}

function pngSize(bytes: Uint8Array): StoredSize | null {
  // signature (8), IHDR length (4) = 13, type (4) = "IHDR", then width and height (big-endian).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) !== 'IHDR') return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  return width > 0 && height > 0 && width < 2 ** 31 && height < 2 ** 31 ? { width, height } : null;
}
