/**
 * PNG chunk layout (PNG spec §5.3): 4-byte length, 4-byte type, data, 4-byte CRC, after the
 * 8-byte signature. Shared by the profile and the metadata passes that run before decoding.
 */
export interface PngChunk {
  type: string;
  /** [start, end) of the whole chunk, length to CRC. */
  start: number;
  end: number;
  data: Uint8Array;
}

/** The chunks in order; stops at the first truncated one (the decoder judges a damaged file). */
export function* pngChunks(bytes: Uint8Array): Generator<PngChunk> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const end = pos + 12 + length;
    if (end > bytes.length) return;
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    yield { type, start: pos, end, data: bytes.subarray(pos + 8, pos + 8 + length) };
    if (type === 'IEND') return;
    pos = end;
  }
}

/** The file without the given chunks. */
export function withoutChunks(bytes: Uint8Array, drop: PngChunk[]): Uint8Array {
  if (drop.length === 0) return bytes;
  const out = new Uint8Array(bytes.length - drop.reduce((n, c) => n + (c.end - c.start), 0));
  let from = 0;
  let to = 0;
  for (const c of drop) {
    out.set(bytes.subarray(from, c.start), to);
    to += c.start - from;
    from = c.end;
  }
  out.set(bytes.subarray(from), to);
  return out;
}

/**
 * Compressed text (zTXt, and iTXt with its compression flag set: XMP, comments) is dropped
 * before decoding: nothing here reads it, and libpng inflates it in full to check it, so a
 * 1 MB chunk of zlib costs ~0.7 s of CPU for 1 GiB it then throws away. Uncompressed tEXt and
 * eXIf (orientation) stay.
 */
export function dropCompressedText(bytes: Uint8Array): Uint8Array {
  const drop: PngChunk[] = [];
  for (const c of pngChunks(bytes)) {
    if (c.type === 'zTXt') drop.push(c);
    // iTXt: keyword, NUL, compression flag, …
    else if (c.type === 'iTXt' && c.data[c.data.indexOf(0) + 1] === 1) drop.push(c);
  }
  return withoutChunks(bytes, drop);
}
