/**
 * Decompression bombs: small files whose metadata inflates to far more than the file, built
 * on the fly from a real photo (nothing large is stored). Used by test/bombs.test.ts, the fuzz
 * run and bench/bombs.bench.ts.
 *
 * PNG chunks (PNG spec §5.3, §11.3.3): iCCP (ICC profile, zlib), zTXt (text, zlib) and iTXt
 * (international text, e.g. XMP, zlib when its compression flag is 1).
 */
import zlib from 'node:zlib';
import sharp from 'sharp';

/** zlib stream of `size` zero bytes (~1,000:1, so 1 GiB gives ~1 MB), streamed so it never holds `size` bytes. */
export async function deflatedZeros(size: number): Promise<Buffer> {
  const deflate = zlib.createDeflate({ level: 9, memLevel: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => deflate.on('end', r));
  const block = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= block.length) {
    if (!deflate.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** The PNG with `chunk` inserted right after IHDR (before any image data, where metadata goes). */
function withChunk(png: Buffer, chunk: Buffer): Buffer {
  const afterIhdr = 8 + 8 + png.readUInt32BE(8) + 4;
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}

export type BombKind = 'png-iccp' | 'png-ztxt' | 'png-itxt-xmp';

/** A valid PNG of the photo carrying one metadata chunk that inflates to `size` bytes (or the given zlib stream). */
export async function pngBomb(photo: Buffer, kind: BombKind, size: number | Buffer): Promise<Buffer> {
  const png = await sharp(photo).resize(320).png().toBuffer();
  const z = typeof size === 'number' ? await deflatedZeros(size) : size;
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  const nul = Buffer.from([0]);
  switch (kind) {
    case 'png-iccp': // name, NUL, compression method 0, zlib profile
      return withChunk(png, pngChunk('iCCP', Buffer.concat([latin1('bomb'), nul, nul, z])));
    case 'png-ztxt': // keyword, NUL, compression method 0, zlib text
      return withChunk(png, pngChunk('zTXt', Buffer.concat([latin1('Comment'), nul, nul, z])));
    case 'png-itxt-xmp': // keyword, NUL, compressed 1, method 0, language NUL, translated NUL, zlib text
      return withChunk(png, pngChunk('iTXt', Buffer.concat([latin1('XML:com.adobe.xmp'), nul, Buffer.from([1, 0]), nul, nul, z])));
  }
}
