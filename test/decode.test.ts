/**
 * Decoding details: embedded sRGB profiles are dropped (their conversion is the identity and
 * costs most of a large JPEG's decode); other profiles are kept and honoured.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { dropSrgbProfile } from '../src/engine/decode/icc.ts';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { fixture } from '../testkit/fixtures.ts';

test('an embedded sRGB profile is dropped without changing a pixel (JPEG and PNG)', async () => {
  for (const name of ['obama.jpg', 'biden2.jpg', 'astronaut.png']) {
    const original = fixture('faces', name);
    const stripped = dropSrgbProfile(original);
    assert.ok(stripped.length < original.length, `${name}: profile removed`);
    assert.equal((await sharp(stripped).metadata()).hasProfile, false);
    const a = await sharp(original).removeAlpha().raw().toBuffer();
    const b = await sharp(stripped).removeAlpha().raw().toBuffer();
    assert.ok(a.equals(b), `${name}: same pixels`);
  }
});

test('a Display P3 profile is kept, and decoding still converts it to sRGB', async () => {
  const p3 = await sharp(fixture('faces', 'obama.jpg')).withIccProfile('p3').jpeg().toBuffer();
  assert.equal(dropSrgbProfile(p3), p3);
  const decoded = await decodeImage(p3);
  const plain = await decodeImage(await sharp(fixture('faces', 'obama.jpg')).jpeg().toBuffer());
  // The P3-tagged file's colours are converted, so its pixels differ from the untagged copy's.
  let diff = 0;
  for (let i = 0; i < decoded.image.data.length; i += 97) diff += Math.abs(decoded.image.data[i] - plain.image.data[i]);
  assert.ok(diff > 0);
});

test('files without a profile, and malformed segments, pass through untouched', () => {
  const noProfile = fixture('faces', 'obama-1080p.jpg');
  assert.equal(dropSrgbProfile(noProfile), noProfile);
  const truncated = fixture('non-faces', 'truncated.jpg');
  assert.equal(dropSrgbProfile(truncated), truncated);
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
  await assert.rejects(decodeImage(bomb), (error: Error & { code?: string }) => error.code === 'IMAGE_TOO_LARGE' && /50000×50000/.test(error.message));
  // 2.5 gigapixels would be 7.5 GB of RGB; nothing near that was allocated.
  assert.ok(process.memoryUsage().rss - before < 64 * 1048576, 'no pixel buffer was allocated');
});
