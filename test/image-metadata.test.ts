/**
 * Stored photos carry no metadata (engine decode/metadata.ts): a face photo's EXIF can say where
 * (GPS) and with what (camera, serial) it was taken. Stripped losslessly: the decoded pixels, the
 * colour profile and the EXIF orientation stay; the camera, the GPS block and text chunks go.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { stripImageMetadata } from '../src/engine/decode/metadata.ts';
import { fixture } from '../testkit/fixtures.ts';

const SECRET = 'SecretCam-SN-0042';
/** obama.jpg, smaller, in `format`, with a camera make, a GPS position and the given orientation. */
async function tagged(format: 'jpeg' | 'png' | 'webp', orientation: number): Promise<Uint8Array> {
  const b = await sharp(fixture('faces', 'obama.jpg')).resize(320)
    .withMetadata({ orientation })
    .withExifMerge({ IFD0: { Make: SECRET, Model: 'X1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' } })
    .toFormat(format).toBuffer();
  return new Uint8Array(b);
}

const pixels = async (bytes: Uint8Array) => {
  const d = await decodeImage(bytes);
  return `${d.image.width}x${d.image.height} ${crypto.createHash('sha256').update(d.image.data).digest('hex')}`;
};
const has = (bytes: Uint8Array, text: string) => Buffer.from(bytes).includes(text);

for (const format of ['jpeg', 'png', 'webp'] as const) {
  for (const orientation of [1, 6]) {
    test(`${format}, orientation ${orientation}: camera and GPS gone; pixels, profile and orientation kept`, async () => {
      const before = await tagged(format, orientation);
      assert.ok(has(before, SECRET), 'the test photo carries the camera');
      const meta0 = await sharp(before).metadata();
      assert.ok(meta0.exif && meta0.exif.length > 100, 'and an EXIF block');
      const after = await stripImageMetadata(before);
      assert.ok(!has(after, SECRET), 'camera make gone');
      const meta = await sharp(after).metadata();
      assert.equal(meta.orientation ?? 1, orientation);
      assert.ok(meta.exif === undefined || meta.exif.length <= 32, `EXIF left: ${meta.exif?.length} bytes`);
      assert.equal(meta.icc?.length ?? 0, meta0.icc?.length ?? 0, 'the colour profile stays');
      assert.equal(await pixels(after), await pixels(before), 'the engine decodes the same pixels, upright');
    });
  }
}

test('JPEG: comments, XMP and data after the end of the image go; a real fixture decodes the same', async () => {
  const jpeg = fixture('faces', 'obama.jpg');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 12]), Buffer.from('secret-com')]);
  const xmpBody = Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret-xmp</x:xmpmeta>');
  const xmp = Buffer.concat([Buffer.from([0xff, 0xe1, (xmpBody.length + 2) >> 8, (xmpBody.length + 2) & 0xff]), xmpBody]);
  const doctored = new Uint8Array(Buffer.concat([jpeg.subarray(0, 2), com, xmp, jpeg.subarray(2), Buffer.from('appended-secret-preview')]));
  const clean = await stripImageMetadata(doctored);
  for (const s of ['secret-com', 'secret-xmp', 'appended-secret-preview']) assert.ok(!has(clean, s), s);
  assert.equal(clean[clean.length - 2], 0xff);
  assert.equal(clean[clean.length - 1], 0xd9);
  assert.equal(await pixels(clean), await pixels(jpeg));
});

test('PNG: text chunks go, with their CRCs the file stays valid', async () => {
  const png = Buffer.from(await sharp(fixture('faces', 'obama.jpg')).resize(200).png().toBuffer());
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdrEnd = 8 + 25;
  const doctored = new Uint8Array(Buffer.concat([png.subarray(0, ihdrEnd), chunk('tEXt', Buffer.from('Author\0secret-author')), chunk('tIME', Buffer.alloc(7)), png.subarray(ihdrEnd)]));
  const clean = await stripImageMetadata(doctored);
  assert.ok(!has(clean, 'secret-author'));
  assert.ok(!has(clean, 'tIME'));
  assert.equal(await pixels(clean), await pixels(new Uint8Array(png)));
});

test('what the decoder cannot read comes back unchanged', async () => {
  for (const odd of [new Uint8Array([0xff, 0xd8, 0xff]), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]), new Uint8Array(100)]) {
    assert.equal(await stripImageMetadata(odd), odd);
  }
});

// Crafted layouts from a review of the stripper: each must decode to the same pixels, upright, and
// lose the camera. tiffOrient: IFD0 with a Make (ASCII `make`) and the orientation as SHORT or LONG.
function tiffOrient(o: number, le: boolean, type: 3 | 4, make: string): Buffer {
  const t = Buffer.alloc(38 + make.length + 1);
  const w16 = (at: number, v: number) => (le ? t.writeUInt16LE(v, at) : t.writeUInt16BE(v, at));
  const w32 = (at: number, v: number) => (le ? t.writeUInt32LE(v, at) : t.writeUInt32BE(v, at));
  t.write(le ? 'II' : 'MM', 0);
  w16(2, 42); w32(4, 8); w16(8, 2);
  w16(10, 0x010f); w16(12, 2); w32(14, make.length + 1); w32(18, 38);
  w16(22, 0x0112); w16(24, type); w32(26, 1);
  if (type === 3) w16(30, o); else w32(30, o);
  w32(34, 0);
  t.write(make, 38);
  return t;
}
const segment = (marker: number, payload: Buffer) => Buffer.concat([Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
const app1 = (tiff: Buffer) => segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0'), tiff]));
function pngChunk(type: string, data: Buffer): Buffer {
  const o = Buffer.alloc(12 + data.length);
  o.writeUInt32BE(data.length, 0);
  o.write(type, 4);
  data.copy(o, 8);
  o.writeUInt32BE(crc32(o.subarray(4, 8 + data.length)), 8 + data.length);
  return o;
}

test('crafted layouts: orientation as the decoder reads it, metadata between scans, fill bytes, PNG eXIf after IDAT or no IEND', async () => {
  const base = sharp(fixture('faces', 'obama.jpg')).resize(320, 240, { fit: 'fill' });
  const jpg = await base.clone().jpeg().toBuffer();
  const prog = await base.clone().jpeg({ progressive: true }).toBuffer();
  const png = await base.clone().png().toBuffer();
  const firstSos = prog.indexOf(Buffer.from([0xff, 0xda]));
  const between = prog.indexOf(Buffer.from([0xff, 0xc4]), firstSos + 2); // a DHT of a later scan
  assert.ok(between > firstSos);
  const iend = png.length - 12;
  const corrupt = Buffer.concat([jpg.subarray(0, 2), app1(tiffOrient(6, false, 3, SECRET)), jpg.subarray(2)]);
  corrupt[2 + 4 + 6 + 26] = 0x98; // the orientation entry's count: libexif then ignores the tag
  const cases: Record<string, Buffer> = {
    'orientation 6 as a big-endian LONG': Buffer.concat([jpg.subarray(0, 2), app1(tiffOrient(6, false, 4, SECRET)), jpg.subarray(2)]),
    'orientation entry with a corrupt count': corrupt,
    'fill byte before the EXIF segment': Buffer.concat([jpg.subarray(0, 2), Buffer.from([0xff]), app1(tiffOrient(1, false, 3, SECRET)), jpg.subarray(2)]),
    'a comment holding FF D9 between scans': Buffer.concat([prog.subarray(0, between), segment(0xfe, Buffer.from([0x41, 0xff, 0xd9, 0x42])), prog.subarray(between)]),
    'EXIF between scans': Buffer.concat([prog.subarray(0, between), app1(tiffOrient(6, false, 3, SECRET)), prog.subarray(between)]),
    'PNG eXIf after IDAT': Buffer.concat([png.subarray(0, iend), pngChunk('eXIf', tiffOrient(6, false, 3, SECRET)), png.subarray(iend)]),
    'PNG without IEND, text before it': Buffer.concat([png.subarray(0, 33), pngChunk('tEXt', Buffer.from(`Comment\0${SECRET}`)), png.subarray(33, iend)]),
  };
  for (const [name, before] of Object.entries(cases)) {
    const after = await stripImageMetadata(new Uint8Array(before));
    assert.equal(await pixels(after), await pixels(new Uint8Array(before)), name);
    assert.ok(!has(after, SECRET), `${name}: camera gone`);
  }
});

test("the caller's bytes are never changed, also when they are a Buffer (whose slice shares memory)", async () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    const input = Buffer.from(await tagged(format, 6));
    const copy = Buffer.from(input);
    const after = await stripImageMetadata(input);
    assert.deepEqual(input, copy, `${format}: input unchanged`);
    assert.equal(await pixels(after), await pixels(new Uint8Array(copy)), `${format}: same pixels`);
  }
});
