/**
 * The analysis engine on real photos: faces are found and counted, landmarks sit on the
 * face, orientation is honoured, bad inputs get their codes, and the skin measures move
 * the right way when the photo is changed in a known way (metamorphic tests).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { AnalysisResult } from '../src/engine/result/schema.ts';
import { faceFixtures, fixture, forEachPixelIn, rawPixels, toPng } from '../testkit/fixtures.ts';

let engine: Engine;
const cache = new Map<string, AnalysisResult>();

async function analyzeFixture(name: string): Promise<AnalysisResult> {
  if (!cache.has(name)) cache.set(name, await engine.analyze(fixture('faces', name)));
  return cache.get(name)!;
}

async function rejectsWith(bytes: Uint8Array, code: string): Promise<void> {
  await assert.rejects(engine.analyze(bytes), (error: { code?: string; message?: string }) => {
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.ok(error.message && error.message.length > 10, 'a human message');
    return true;
  });
}

before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

describe('faces', () => {
  for (const name of faceFixtures()) {
    test(`${name}: counts the faces and puts 468 landmarks on the largest`, async () => {
      const result = AnalysisResult.parse(await analyzeFixture(name));
      assert.equal(result.mode, 'face');
      assert.ok(result.face);
      assert.equal(result.face.faces_detected, name === 'two_people.jpg' ? 2 : 1);
      assert.equal(result.face.landmarks.length, 468);
      const { box } = result.face;
      const { width, height } = result.image;
      for (const [x, y] of result.face.landmarks) {
        assert.ok(x * width >= box.x - 1 && x * width <= box.x + box.width + 1, `landmark x ${x} inside the box`);
        assert.ok(y * height >= box.y - 1 && y * height <= box.y + box.height + 1, `landmark y ${y} inside the box`);
      }
      // The face box is a plausible face: taller than wide-ish, not the whole photo.
      assert.ok(box.height / box.width > 0.8 && box.height / box.width < 2, `box aspect ${box.width}×${box.height}`);
      assert.ok(result.face.detection_confidence >= 0.7);
      assert.equal(result.disclaimer.includes('not a medical diagnosis'), true);
    });
  }

  test('the largest of two faces is analysed', async () => {
    const result = await analyzeFixture('two_people.jpg');
    assert.ok(result.face);
    // Both faces are about the same size; the chosen one is at least as large as any other detection.
    assert.ok(result.face.box.width > 100);
  });

  test('EXIF orientation is applied: the rotated copy gives the same landmarks', async () => {
    const upright = await analyzeFixture('astronaut.png');
    const rotated = await analyzeFixture('astronaut-exif6.jpg');
    assert.deepEqual([rotated.image.width, rotated.image.height], [upright.image.width, upright.image.height]);
    let worst = 0;
    upright.face!.landmarks.forEach(([x, y], i) => {
      const [rx, ry] = rotated.face!.landmarks[i];
      worst = Math.max(worst, Math.hypot(x - rx, y - ry));
    });
    // Within 1 % of the image side (JPEG re-encoding moves a few landmarks by a pixel or two).
    assert.ok(worst < 0.01, `largest landmark difference ${worst}`);
  });

  test('head pose of frontal portraits is small', async () => {
    for (const name of ['astronaut.png', 'obama.jpg', 'sergey.png']) {
      const { pose } = (await analyzeFixture(name)).face!;
      assert.ok(Math.abs(pose.yaw) < 15 && Math.abs(pose.roll) < 15, `${name}: ${JSON.stringify(pose)}`);
    }
  });

  test('a turned head reads as yaw with the right sign', async () => {
    // Mirroring the photo flips the sign of yaw and roll.
    const photo = await rawPixels(fixture('faces', 'obama2.jpg'));
    const mirrored = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).flop().png().toBuffer();
    const a = (await analyzeFixture('obama2.jpg')).face!.pose;
    const b = (await engine.analyze(mirrored)).face!.pose;
    assert.ok(Math.abs(a.yaw) > 5, `obama2 is turned: ${JSON.stringify(a)}`);
    assert.ok(Math.sign(a.yaw) === -Math.sign(b.yaw), `${a.yaw} vs mirrored ${b.yaw}`);
  });

  test('skin regions are reported with polygons and skin pixels', async () => {
    const result = await analyzeFixture('obama.jpg');
    for (const name of ['forehead', 'left_cheek', 'right_cheek', 'nose', 'chin', 'under_eye_left', 'under_eye_right']) {
      const region = result.regions[name];
      assert.ok(region, `${name} present`);
      assert.ok(region.polygon.length >= 8);
      assert.ok(region.area_px > 100, `${name} has ${region.area_px} skin pixels`);
    }
  });
});

describe('bad input', () => {
  test('non-faces give NO_FACE (the cat too)', async () => {
    for (const name of ['chelsea.png', 'coffee.png', 'rocket.jpg']) await rejectsWith(fixture('non-faces', name), 'NO_FACE');
  });
  test('a truncated JPEG gives CORRUPT_IMAGE', async () => {
    await rejectsWith(fixture('non-faces', 'truncated.jpg'), 'CORRUPT_IMAGE');
  });
  test('an empty file gives EMPTY_IMAGE', async () => {
    await rejectsWith(new Uint8Array(0), 'EMPTY_IMAGE');
  });
  test('a text file named .jpg gives UNSUPPORTED_FORMAT', async () => {
    await rejectsWith(Buffer.from('this is not an image, just text\n'.repeat(20)), 'UNSUPPORTED_FORMAT');
  });
  test('wrong magic bytes give UNSUPPORTED_FORMAT', async () => {
    const png = Buffer.from(fixture('faces', 'astronaut.png'));
    png[1] = 0x00;
    await rejectsWith(png, 'UNSUPPORTED_FORMAT');
  });
  test('huge declared dimensions give IMAGE_TOO_LARGE before decoding', async () => {
    await rejectsWith(pngHeaderOnly(30000, 30000), 'IMAGE_TOO_LARGE');
  });
  test('a tiny image gives IMAGE_TOO_SMALL', async () => {
    const tiny = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#c89070' } }).png().toBuffer();
    await rejectsWith(tiny, 'IMAGE_TOO_SMALL');
  });
  test('a decompression bomb within the pixel limit is still refused by the limit option', async () => {
    const small = await createEngine({ maxPixels: 100_000 });
    try {
      await assert.rejects(small.analyze(fixture('faces', 'obama.jpg')), { code: 'IMAGE_TOO_LARGE' });
    } finally {
      await small.close();
    }
  });
});

describe('skin measures on real photos', () => {
  test('skin tone of obama.jpg is darker than that of astronaut.png', async () => {
    const obama = (await analyzeFixture('obama.jpg')).cv_analysis.skin_tone;
    const astronaut = (await analyzeFixture('astronaut.png')).cv_analysis.skin_tone;
    assert.ok(obama.available && astronaut.available);
    assert.ok(obama.ita_deg < astronaut.ita_deg, `ITA ${obama.ita_deg} < ${astronaut.ita_deg}`);
    assert.ok(obama.monk_tone >= astronaut.monk_tone);
  });

  test('darkening the under-eye region raises dark-circle severity', async () => {
    const base = await analyzeFixture('obama.jpg');
    const photo = await rawPixels(fixture('faces', 'obama.jpg'));
    for (const side of ['under_eye_left', 'under_eye_right']) {
      forEachPixelIn(photo, base.regions[side].polygon, (i) => {
        for (let c = 0; c < 3; c++) photo.data[i + c] = Math.round(photo.data[i + c] * 0.7);
      });
    }
    const edited = await engine.analyze(await toPng(photo));
    const before = base.cv_analysis.dark_circles;
    const afterDc = edited.cv_analysis.dark_circles;
    assert.ok(before.available && afterDc.available);
    assert.ok(afterDc.severity > before.severity, `severity ${before.severity} → ${afterDc.severity}`);
    assert.ok(afterDc.delta_L > before.delta_L + 3);
  });

  test('thin dark lines on the forehead raise forehead wrinkle density', async () => {
    const base = await analyzeFixture('astronaut.png');
    const photo = await rawPixels(fixture('faces', 'astronaut.png'));
    const polygon = base.regions.forehead.polygon;
    const ys = polygon.map(([, y]) => y * photo.height);
    const top = Math.min(...ys);
    const bottom = Math.max(...ys);
    const gap = Math.max(4, Math.round((bottom - top) / 6));
    forEachPixelIn(photo, polygon, (i, _x, y) => {
      if ((Math.round(y - top) % gap) === 0) for (let c = 0; c < 3; c++) photo.data[i + c] = Math.round(photo.data[i + c] * 0.6);
    });
    const edited = await engine.analyze(await toPng(photo));
    const before = base.cv_analysis.wrinkles;
    const afterW = edited.cv_analysis.wrinkles;
    assert.ok(before.available && afterW.available);
    assert.ok(afterW.per_region.forehead && before.per_region.forehead);
    assert.ok(afterW.per_region.forehead.density > before.per_region.forehead.density + 0.02,
      `forehead density ${before.per_region.forehead.density} → ${afterW.per_region.forehead.density}`);
  });

  test('reddening the cheeks raises cheek redness', async () => {
    const base = await analyzeFixture('biden2.jpg');
    const photo = await rawPixels(fixture('faces', 'biden2.jpg'));
    for (const side of ['left_cheek', 'right_cheek']) {
      forEachPixelIn(photo, base.regions[side].polygon, (i) => {
        photo.data[i] = Math.min(255, Math.round(photo.data[i] * 1.12 + 8));
        photo.data[i + 1] = Math.round(photo.data[i + 1] * 0.9);
      });
    }
    const edited = await engine.analyze(await toPng(photo));
    const before = base.cv_analysis.redness;
    const afterR = edited.cv_analysis.redness;
    assert.ok(before.available && afterR.available);
    for (const side of ['left_cheek', 'right_cheek'] as const) {
      const b = before.per_region[side];
      const a = afterR.per_region[side];
      assert.ok(a && b && a.mean_a > b.mean_a + 3, `${side} a* ${b?.mean_a} → ${a?.mean_a}`);
    }
  });

  test('blurring the photo fails the sharpness gate', async () => {
    const sharpResult = await analyzeFixture('obama.jpg');
    assert.ok(!sharpResult.quality.issues.some((i) => i.code === 'BLURRED'), 'the original is sharp enough');
    const blurred = await sharp(fixture('faces', 'obama.jpg')).rotate().blur(6).png().toBuffer();
    const result = await engine.analyze(blurred);
    assert.ok(result.quality.sharpness < sharpResult.quality.sharpness);
    assert.ok(result.quality.issues.some((i) => i.code === 'BLURRED'), JSON.stringify(result.quality));
    assert.equal(result.quality.passed, false);
    assert.ok(result.confidence < sharpResult.confidence);
    // below the documented quality level (RELIABLE_MIN_QUALITY) the model answers say so
    for (const [r, reliable] of [[sharpResult, true], [result, false]] as const) {
      const { acne_analysis: acne, condition_analysis: cond } = r.ml_analysis;
      assert.ok(acne.available && cond.available);
      assert.equal(acne.reliable, reliable);
      assert.equal(cond.reliable, reliable);
    }
  });

  test('model probabilities are never exactly 0 or 1 (clipped to [0.005, 0.995])', async () => {
    for (const photo of ['obama.jpg', 'biden2.jpg', 'sergey.png']) {
      const r = await analyzeFixture(photo);
      const { acne_analysis: acne, condition_analysis: cond } = r.ml_analysis;
      assert.ok(acne.available && cond.available);
      for (const p of [...Object.values(acne.probabilities), ...Object.values(cond.probabilities)]) {
        assert.ok(p >= 0.005 && p <= 0.995, `${photo}: ${p}`);
      }
    }
  });

  test('a darkened photo fails the exposure gate with advice', async () => {
    const dark = await sharp(fixture('faces', 'obama.jpg')).rotate().linear(0.25, 0).png().toBuffer();
    const result = await engine.analyze(dark);
    const issue = result.quality.issues.find((i) => i.code === 'TOO_DARK');
    assert.ok(issue, JSON.stringify(result.quality.issues));
    assert.ok(issue.advice.length > 5);
  });
});

describe('close-up mode', () => {
  test('the whole image is one skin region; face-based measures are not applicable', async () => {
    const crop = await sharp(fixture('faces', 'biden2.jpg')).extract({ left: 500, top: 600, width: 300, height: 300 }).png().toBuffer();
    const result = AnalysisResult.parse(await engine.analyze(crop, { closeup: true }));
    assert.equal(result.mode, 'closeup');
    assert.equal(result.face, null);
    assert.ok(result.cv_analysis.skin_tone.available);
    for (const part of ['skin_type', 'wrinkles', 'dark_circles'] as const) {
      const v = result.cv_analysis[part];
      assert.equal(v.available, false);
      assert.match((v as { reason: string }).reason, /not applicable/);
    }
  });
});

/** A PNG whose header declares width×height but carries no real pixels. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c;
}
