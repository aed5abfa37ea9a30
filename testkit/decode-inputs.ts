/**
 * The inputs of the decode pixel snapshot (test/decode-pixels.test.ts, scripts/decode-snapshot.ts):
 * every fixture file, and synthetic files for the paths the fixtures miss: EXIF orientations 1–8,
 * a Display P3 profile, a photo over 2048 px (halved on load), alpha, grey, 16-bit, WebP, AVIF,
 * too small, damaged or lying headers. The synthetic ones are encoded by sharp, so a sharp upgrade can
 * change their bytes: the snapshot stores each input's hash to tell that apart from a decode change.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { pngChunks } from '../src/engine/decode/png-chunks.ts';
import { FACES, NON_FACES, fixture } from './fixtures.ts';

export const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex').slice(0, 16);

export async function decodeInputs(): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  for (const dir of [FACES, NON_FACES]) {
    for (const f of fs.readdirSync(dir).sort()) out.push([`${path.basename(dir)}/${f}`, fixture(path.basename(dir), f)]);
  }
  const small = fixture('faces', 'obama_small.jpg');
  for (let o = 1; o <= 8; o++) out.push([`orientation-${o}.jpg`, await sharp(small).withMetadata({ orientation: o }).jpeg({ quality: 90 }).toBuffer()]);
  out.push(['orientation-6.png', await sharp(small).withMetadata({ orientation: 6 }).png().toBuffer()]);
  out.push(['p3.jpg', await sharp(fixture('faces', 'obama.jpg')).withIccProfile('p3').jpeg().toBuffer()]);
  const big = sharp(fixture('faces', 'obama-1080p.jpg')).resize(2600, 1463);
  out.push(['big-2600.jpg', await big.clone().jpeg({ quality: 85 }).toBuffer()]);
  out.push(['big-2600-srgb.jpg', await big.clone().withIccProfile('srgb').jpeg({ quality: 85 }).toBuffer()]);
  out.push(['big-2600-orientation-6.jpg', await big.clone().withMetadata({ orientation: 6 }).jpeg({ quality: 85 }).toBuffer()]);
  out.push(['big-4200.png', await sharp(small).resize(4200, 2100, { fit: 'fill' }).png({ compressionLevel: 1 }).toBuffer()]);
  out.push(['alpha.png', await sharp(fixture('faces', 'astronaut.png')).ensureAlpha(0.5).png().toBuffer()]);
  out.push(['grey.jpg', await sharp(small).greyscale().jpeg().toBuffer()]);
  out.push(['16bit.png', await sharp(small).toColourspace('rgb16').png().toBuffer()]);
  out.push(['photo.webp', await sharp(small).webp({ quality: 80 }).toBuffer()]);
  out.push(['photo.avif', await sharp(small).avif({ quality: 60 }).toBuffer()]);
  out.push(['too-small.jpg', await sharp(small).resize(40, 200, { fit: 'fill' }).jpeg().toBuffer()]);
  out.push(['too-small-orientation-6.jpg', await sharp(small).resize(200, 40, { fit: 'fill' }).withMetadata({ orientation: 6 }).jpeg().toBuffer()]);
  const jpeg = Buffer.from(small);
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  out.push(['zero-height.jpg', Buffer.concat([jpeg.subarray(0, sof + 5), Buffer.from([0, 0]), jpeg.subarray(sof + 7)])]);
  // A first SOF that understates the size (100×100), then the real one: libjpeg refuses two SOFs.
  const sofLength = jpeg.readUInt16BE(sof + 2);
  const fakeSof = Buffer.from(jpeg.subarray(sof, sof + 2 + sofLength));
  fakeSof.writeUInt16BE(100, 5);
  fakeSof.writeUInt16BE(100, 7);
  out.push(['two-sof.jpg', Buffer.concat([jpeg.subarray(0, sof), fakeSof, jpeg.subarray(sof)])]);
  // A PNG whose IHDR (CRC fixed) claims 100 px less width than its pixel rows hold.
  const png = Buffer.from(await sharp(small).png().toBuffer());
  png.writeUInt32BE(220, 16);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  out.push(['narrow-ihdr.png', png]);
  // obama.jpg's sRGB profile (ignored, not converted): with bogus sequence numbers, and split in two segments.
  const tagged = fixture('faces', 'obama.jpg');
  const app2 = tagged.indexOf(Buffer.from('ICC_PROFILE\0', 'latin1')) - 4;
  const app2End = app2 + 2 + tagged.readUInt16BE(app2 + 2);
  const bogus = Buffer.from(tagged);
  bogus[app2 + 16] = 0; // sequence number 0 of count 0 (ICC.1 B.4: both start at 1)
  bogus[app2 + 17] = 0;
  out.push(['srgb-icc-bad-sequence.jpg', bogus]);
  const profile = tagged.subarray(app2 + 18, app2End);
  const segment = (data: Buffer, seq: number) => {
    const head = Buffer.alloc(18);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(16 + data.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head[16] = seq;
    head[17] = 2;
    return Buffer.concat([head, data]);
  };
  const half = profile.length >> 1;
  out.push(['srgb-icc-two-segments.jpg', Buffer.concat([tagged.subarray(0, app2), segment(profile.subarray(0, half), 1), segment(profile.subarray(half), 2), tagged.subarray(app2End)])]);
  // astronaut.png's sRGB profile, made odd in ways libpng checks for (PNG spec §11.3.3.3, ICC.1 §7.2).
  const astronaut = fixture('faces', 'astronaut.png');
  const iccp = [...pngChunks(astronaut)].find((c) => c.type === 'iCCP');
  if (!iccp) throw new Error('astronaut.png has no iCCP chunk');
  const nul = iccp.data.indexOf(0);
  const profile2 = inflateSync(iccp.data.subarray(nul + 2));
  const edits: Record<string, (p: Buffer) => void> = {
    'intent-9': (p) => p.writeUInt32BE(9, 64),
    'illuminant-not-d50': (p) => p.writeUInt32BE(0x10000, 68),
    'length-mismatch': (p) => p.writeUInt32BE(p.length + 4, 0),
    'device-link': (p) => p.write('link', 12, 'latin1'),
  };
  for (const [name, edit] of Object.entries(edits)) {
    const p = Buffer.from(profile2);
    edit(p);
    const data = Buffer.concat([iccp.data.subarray(0, nul + 2), deflateSync(p)]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write('iCCP', 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    out.push([`srgb-iccp-${name}.png`, Buffer.concat([astronaut.subarray(0, iccp.start), head, data, crc, astronaut.subarray(iccp.end)])]);
  }
  return out;
}
