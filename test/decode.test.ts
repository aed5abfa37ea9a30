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
