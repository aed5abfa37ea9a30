/**
 * Decoding details: embedded sRGB profiles are skipped (their conversion is the identity and
 * costs most of a large JPEG's decode): sharp is told to ignore them; other profiles are
 * kept and honoured. The fast path (no libvips header read) and the checked path agree; a damaged
 * file is decoded once (counted, not timed). Header bombs (AVIF) are refused from the header, and
 * WebP and AVIF photos are analysed like JPEGs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { hasSrgbProfile } from '../src/engine/decode/icc.ts';
import { storedSize } from '../src/engine/decode/header.ts';
import { decodeImage, decodeWork } from '../src/engine/decode/decode.ts';
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

/** The libvips calls one decodeImage makes, and what it answered. */
async function counted(bytes: Uint8Array): Promise<{ pixelDecodes: number; headerReads: number; error?: Error & { code?: string } }> {
  const before = { ...decodeWork };
  let error: (Error & { code?: string }) | undefined;
  await decodeImage(bytes).catch((e: Error) => (error = e));
  return { pixelDecodes: decodeWork.pixelDecodes - before.pixelDecodes, headerReads: decodeWork.headerReads - before.headerReads, error };
}

test('a damaged JPEG or PNG within the limits is decoded once, and refused as the checked path refuses it', async () => {
  const jpeg = fixture('faces', 'obama-1080p.jpg');
  const png = Buffer.from(await sharp(jpeg).png({ compressionLevel: 1 }).toBuffer());
  const idat = png.lastIndexOf('IDAT');
  png[idat + 10] ^= 0xff; // a corrupt deflate stream in the last IDAT
  for (const [name, bytes] of [['truncated JPEG', jpeg.subarray(0, Math.floor(jpeg.length * 0.995))], ['corrupt PNG', png]] as const) {
    // The checked path's refusal: its decode (the same pipeline as the fast one) fails with this reason.
    const reason = await sharp(bytes, { limitInputPixels: 40_000_000, failOn: 'error', sequentialRead: true }).rotate().removeAlpha().toColorspace('srgb').raw().toBuffer()
      .then(() => assert.fail(`${name}: libvips decodes it`), (e: Error) => e.message.split('\n')[0].trimEnd());
    const format = name.endsWith('PNG') ? 'PNG' : 'JPEG';
    const got = await counted(bytes);
    assert.equal(got.error?.code, 'CORRUPT_IMAGE', name);
    assert.equal(got.error?.message, `The ${format} file is damaged or truncated: ${reason}.`, name);
    assert.deepEqual([got.pixelDecodes, got.headerReads], [1, 1], `${name}: one decode, one header read`);
  }
  // A whole photo: one decode, no header read; an unreadable one: the header read refuses it.
  assert.deepEqual(await counted(jpeg), { pixelDecodes: 1, headerReads: 0, error: undefined });
  const unreadable = await counted(fixture('non-faces', 'truncated.jpg'));
  assert.match(unreadable.error?.message ?? '', /^The JPEG file cannot be read: /);
});

test('WebP and AVIF photos are analysed like JPEGs', async () => {
  const { createEngine } = await import('../src/engine/index.ts');
  const engine = await createEngine({});
  try {
    for (const format of ['webp', 'avif'] as const) {
      const bytes = await sharp(fixture('faces', 'obama.jpg')).toFormat(format, { quality: 80 }).toBuffer();
      const result = await engine.analyze(bytes);
      assert.equal(result.image.format, format);
      assert.equal(result.face?.faces_detected, 1);
    }
  } finally {
    await engine.close();
  }
});

test('an AVIF whose header claims 50,000 × 50,000 pixels is refused from the header, before any pixel is decoded', async () => {
  // A real 64×64 AVIF with its HEIF 'ispe' (image spatial extents) box rewritten: a metadata bomb.
  const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 150, b: 120 } } }).avif().toBuffer();
  const ispe = small.indexOf(Buffer.from('ispe'));
  assert.ok(ispe > 0, 'the AVIF has an ispe box');
  const bomb = Buffer.from(small);
  bomb.writeUInt32BE(50_000, ispe + 8); // after the box type: version/flags (4 bytes), then width and height
  bomb.writeUInt32BE(50_000, ispe + 12);
  assert.deepEqual([(await sharp(bomb, { limitInputPixels: false }).metadata()).width], [50_000], 'libvips believes the header');
  const before = process.memoryUsage().rss;
  const got = await counted(bomb);
  assert.equal(got.error?.code, 'IMAGE_TOO_LARGE');
  assert.match(got.error?.message ?? '', /50000×50000/);
  assert.equal(got.pixelDecodes, 0, 'refused before the decode');
  // 2.5 gigapixels would be 7.5 GB of RGB; nothing near that was allocated.
  assert.ok(process.memoryUsage().rss - before < 64 * 1048576, 'no pixel buffer was allocated');
});
