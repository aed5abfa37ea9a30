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
import { exifOrientation, stripImageMetadata } from '../src/engine/decode/metadata.ts';
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
      const after = stripImageMetadata(before);
      assert.ok(!has(after, SECRET), 'camera make gone');
      const meta = await sharp(after).metadata();
      assert.equal(meta.orientation ?? 1, orientation);
      assert.ok(meta.exif === undefined || meta.exif.length <= 32, `EXIF left: ${meta.exif?.length} bytes`);
      if (meta.exif) assert.equal(exifOrientation(meta.exif.subarray(meta.exif.indexOf('MM'))), orientation);
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
  const clean = stripImageMetadata(doctored);
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
  const clean = stripImageMetadata(doctored);
  assert.ok(!has(clean, 'secret-author'));
  assert.ok(!has(clean, 'tIME'));
  assert.equal(await pixels(clean), await pixels(new Uint8Array(png)));
});

test('what cannot be walked comes back unchanged', () => {
  for (const odd of [new Uint8Array([0xff, 0xd8, 0xff]), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]), new Uint8Array(100)]) {
    assert.equal(stripImageMetadata(odd), odd);
  }
});
