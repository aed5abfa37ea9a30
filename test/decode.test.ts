/**
 * Decoding details: embedded sRGB profiles are skipped (their conversion is the identity and
 * costs most of a large JPEG's decode): sharp is told to ignore them; other profiles are
 * kept and honoured. The fast path (no libvips header read) and the checked path agree.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { hasSrgbProfile } from '../src/engine/decode/icc.ts';
import { storedSize } from '../src/engine/decode/header.ts';
import { decodeImage } from '../src/engine/decode/decode.ts';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES, fixture } from '../testkit/fixtures.ts';

test('an embedded sRGB profile is recognised, and ignoring it changes no pixel (JPEG and PNG)', async () => {
  for (const name of ['obama.jpg', 'biden2.jpg', 'astronaut.png']) {
    const original = fixture('faces', name);
    assert.equal((await sharp(original).metadata()).hasProfile, true, `${name} has a profile`);
    assert.equal(hasSrgbProfile(original), true, name);
    const a = await sharp(original).removeAlpha().raw().toBuffer(); // converted through LittleCMS
    const b = await sharp(original, { ignoreIcc: true }).removeAlpha().raw().toBuffer();
    assert.ok(a.equals(b), `${name}: same pixels`);
  }
});

test('a Display P3 profile is kept, and decoding still converts it to sRGB', async () => {
  const p3 = await sharp(fixture('faces', 'obama.jpg')).withIccProfile('p3').jpeg().toBuffer();
  assert.equal(hasSrgbProfile(p3), false);
  const decoded = await decodeImage(p3);
  const plain = await decodeImage(await sharp(fixture('faces', 'obama.jpg')).jpeg().toBuffer());
  // The P3-tagged file's colours are converted, so its pixels differ from the untagged copy's.
  let diff = 0;
  for (let i = 0; i < decoded.image.data.length; i += 97) diff += Math.abs(decoded.image.data[i] - plain.image.data[i]);
  assert.ok(diff > 0);
});

test('files without a profile, and malformed segments, are decoded with their profile, if any, honoured', () => {
  const noProfile = fixture('faces', 'obama-1080p.jpg');
  assert.equal(hasSrgbProfile(noProfile), false);
  const truncated = fixture('non-faces', 'truncated.jpg');
  assert.equal(hasSrgbProfile(truncated), false);
});

test('the stored size read in JS is the one libvips reads, on every fixture it reads; odd headers give null', async () => {
  for (const dir of ['faces', 'non-faces']) {
    for (const name of fs.readdirSync(path.join(FIXTURES, dir))) {
      const bytes = fixture(dir, name);
      const meta = await sharp(bytes).metadata().catch(() => null);
      const size = storedSize(bytes);
      // truncated.jpg: its SOF is whole, the rest is not; libvips refuses it (so does the fast path, then).
      if (!meta) continue;
      assert.deepEqual(size, { width: meta.width, height: meta.height }, name);
    }
  }
  const small = fixture('faces', 'obama_small.jpg');
  const sof = small.indexOf(Buffer.from([0xff, 0xc0]));
  const zeroHeight = Buffer.from(small);
  zeroHeight.writeUInt16BE(0, sof + 5); // a DNL-style height of 0
  assert.equal(storedSize(zeroHeight), null);
  assert.equal(storedSize(small.subarray(0, sof + 6)), null, 'truncated inside the SOF');
  assert.equal(storedSize(await sharp(small).webp().toBuffer()), null, 'WebP: libvips reads it');
});

test('a PNG over the pixel limit is refused before any pixel is decoded, with its size in the message', async () => {
  const png = await sharp(fixture('faces', 'obama_small.jpg')).png().toBuffer();
  await assert.rejects(decodeImage(png, { maxPixels: 320 * 240 - 1, maxSide: 2048, minSide: 64 }), (e: Error & { code?: string }) => e.code === 'IMAGE_TOO_LARGE' && /320×240/.test(e.message));
});
