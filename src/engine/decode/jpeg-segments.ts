/**
 * JPEG marker segments before the image data (ITU T.81 §B.1.1.4: 0xFF, a marker byte, a 2-byte
 * big-endian length that counts itself, the payload), from SOI up to the first SOS, for the
 * profile check (icc.ts). The metadata strip (metadata.ts) walks the whole file instead.
 */
export interface JpegSegment {
  marker: number;
  /** [start, end) of the whole segment, 0xFF to the payload's last byte. */
  start: number;
  end: number;
  /** The payload (after the length). */
  data: Uint8Array;
}

export interface JpegHead {
  segments: JpegSegment[];
  /** Offset of the first SOS marker; -1 when the walk stopped before one. */
  sos: number;
  /** A length past the end or under 2 stopped the walk: the decoder judges such a file. */
  malformed: boolean;
}

/** The segments in order, up to SOS or EOI or the first byte that is not a marker. */
export function jpegHead(bytes: Uint8Array): JpegHead {
  const segments: JpegSegment[] = [];
  let pos = 2;
  while (pos + 4 <= bytes.length && bytes[pos] === 0xff) {
    const marker = bytes[pos + 1];
    if (marker === 0xda) return { segments, sos: pos, malformed: false };
    if (marker === 0xd9) break;
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const end = pos + 2 + length;
    if (length < 2 || end > bytes.length) return { segments, sos: -1, malformed: true };
    segments.push({ marker, start: pos, end, data: bytes.subarray(pos + 4, end) });
    pos = end;
  }
  return { segments, sos: -1, malformed: false };
}
