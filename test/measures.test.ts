/**
 * Skin measures: specifications as tests. Synthetic colour patches check the colour science;
 * metamorphic tests on a real face (shared/fixtures/faces/sergey.png with hand-placed masks)
 * check that each measure moves the right way when the picture is changed on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { Mask, RgbImage } from '../src/engine/image.ts';
import {
  DarkCircles, Quality, Redness, SkinTone, SkinType, TextureQuality, Wrinkles, Pose,
} from '../src/engine/result/schema.ts';
import { deltaE76, hexToLab, imageToLab, labToSrgb, srgbToLab, type Lab } from '../src/engine/measures/color.ts';
import { createMeasureContext, pixelsOf } from '../src/engine/measures/context.ts';
import { fixtureInput, loadSquareRgb } from '../test/fixtures/measure-masks.ts';
import { measureCloseup, measureFace, type MeasureOutput } from '../src/engine/measures/index.ts';
import {
  MONK_HEX, fitzpatrickFromIta, itaCategory, itaDegrees, measureSkinTone,
} from '../src/engine/measures/skin-tone.ts';
import { robustLab } from '../src/engine/measures/robust.ts';
import type { MeasureInput } from '../src/engine/measures/types.ts';
import { ridgeResponse, WRINKLE_CHEEK_THRESHOLD, WRINKLE_DENSITY_THRESHOLD, WRINKLE_OVERALL_SCALE, WRINKLE_RIDGE_THRESHOLD, WRINKLE_SCALES, WRINKLE_ZONE_THRESHOLDS } from '../src/engine/measures/wrinkles.ts';

const FACE_PATH = fileURLToPath(new URL('../../shared/fixtures/faces/sergey.png', import.meta.url));
const SIZE = 384;
const FRONTAL = { faceSizePx: 420, pose: { yaw: 0, pitch: 0, roll: 0 } };

// ---------------------------------------------------------------- helpers

function patch(rgb: [number, number, number], size = 64): { image: RgbImage; mask: Mask } {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, i * 3);
  return { image: { width: size, height: size, data }, mask: { width: size, height: size, data: new Uint8Array(size * size).fill(1) } };
}

function toneOfPatch(rgb: [number, number, number]) {
  const { image, mask } = patch(rgb);
  const t = measureSkinTone(createMeasureContext(image, mask, 64));
  assert.equal(t.available, true);
  if (!t.available) throw new Error('unreachable');
  return t;
}

/** A copy of the image with `f` applied to the pixels of `mask`. */
function editPixels(image: RgbImage, mask: Mask | null, f: (rgb: number[], x: number, y: number) => number[]): RgbImage {
  const data = new Uint8Array(image.data);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = y * image.width + x;
      if (mask && !mask.data[i]) continue;
      const out = f([data[i * 3], data[i * 3 + 1], data[i * 3 + 2]], x, y);
      for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.max(0, Math.min(255, Math.round(out[c])));
    }
  }
  return { ...image, data };
}

function bbox(mask: Mask): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    const x = i % mask.width, y = Math.floor(i / mask.width);
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { x0, y0, x1, y1 };
}

async function gaussianBlur(image: RgbImage, sigma: number): Promise<RgbImage> {
  const buf = await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } })
    .blur(sigma).raw().toBuffer();
  return { ...image, data: new Uint8Array(buf) };
}

function assertValid(schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown, what: string) {
  const r = schema.safeParse(value);
  assert.ok(r.success, `${what} does not match the schema: ${JSON.stringify(r.error)}\n${JSON.stringify(value)}`);
}

function assertOutputValid(out: MeasureOutput, what: string) {
  assertValid(SkinTone, out.cv.skin_tone, `${what} skin_tone`);
  assertValid(SkinType, out.cv.skin_type, `${what} skin_type`);
  assertValid(TextureQuality, out.cv.texture_quality, `${what} texture_quality`);
  assertValid(Wrinkles, out.cv.wrinkles, `${what} wrinkles`);
  assertValid(DarkCircles, out.cv.dark_circles, `${what} dark_circles`);
  assertValid(Redness, out.cv.redness, `${what} redness`);
  assertValid(Quality, out.quality, `${what} quality`);
  assert.ok(out.confidence >= 0 && out.confidence <= 1, `${what} confidence ${out.confidence}`);
}

const codes = (out: MeasureOutput) => out.quality.issues.map((i) => i.code);
const face = await loadSquareRgb(FACE_PATH, SIZE);
const base: MeasureInput = fixtureInput(face);
const withImage = (image: RgbImage): MeasureInput => ({ ...base, image });
const baseline = measureFace(base, FRONTAL);

// ---------------------------------------------------------------- colour science

test('sRGB → CIELAB matches reference values (D65, IEC 61966-2-1)', () => {
  const close = (got: Lab, want: Lab, tol: number) =>
    assert.ok(deltaE76(got, want) < tol, `${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  close(srgbToLab(255, 255, 255), { L: 100, a: 0, b: 0 }, 0.01);
  close(srgbToLab(0, 0, 0), { L: 0, a: 0, b: 0 }, 0.01);
  close(srgbToLab(255, 0, 0), { L: 53.24, a: 80.09, b: 67.2 }, 0.05);
  close(srgbToLab(0, 0, 255), { L: 32.3, a: 79.19, b: -107.86 }, 0.05);
  close(srgbToLab(128, 128, 128), { L: 53.59, a: 0, b: 0 }, 0.02);
});

test('Lab → sRGB inverts sRGB → Lab, and the image (lookup-table) path agrees with the exact one', () => {
  const rnd = (k: number) => (k * 2654435761) % 256;
  const data = new Uint8Array(300 * 3);
  for (let i = 0; i < data.length; i++) data[i] = rnd(i + 7);
  const lab = imageToLab({ width: 300, height: 1, data });
  for (let i = 0; i < 300; i++) {
    const rgb: [number, number, number] = [data[i * 3], data[i * 3 + 1], data[i * 3 + 2]];
    const exact = srgbToLab(...rgb);
    assert.deepEqual(labToSrgb(exact), rgb);
    assert.ok(deltaE76(exact, { L: lab.L[i], a: lab.a[i], b: lab.b[i] }) < 0.02, `pixel ${rgb}`);
  }
});

// ---------------------------------------------------------------- skin tone

test('ITA of uniform patches with known L*a*b* is right to 0.5° in every Del Bino category', () => {
  const cases: { L: number; a: number; b: number; category: string }[] = [
    { L: 78, a: 6, b: 14, category: 'very_light' }, // 63.4°
    { L: 68, a: 9, b: 17, category: 'light' }, // 46.6°
    { L: 62, a: 10, b: 18, category: 'intermediate' }, // 33.7°
    { L: 56, a: 11, b: 19, category: 'tan' }, // 17.5°
    { L: 44, a: 12, b: 20, category: 'brown' }, // −16.7°
    { L: 30, a: 11, b: 14, category: 'dark' }, // −55.0°
  ];
  const ita = (lab: Lab) => (Math.atan((lab.L - 50) / lab.b) * 180) / Math.PI;
  for (const c of cases) {
    const rgb = labToSrgb(c);
    // The patch's exact colour after 8-bit rounding: the measure must recover it to 0.5°.
    const exact = ita(srgbToLab(...rgb));
    const t = toneOfPatch(rgb);
    assert.ok(Math.abs(t.ita_deg - exact) <= 0.5, `L*${c.L} b*${c.b}: ITA ${t.ita_deg} vs ${exact.toFixed(2)}`);
    // 8-bit rounding alone moves dark colours by up to about a degree from the nominal Lab.
    assert.ok(Math.abs(t.ita_deg - ita(c)) <= 1.5, `L*${c.L} b*${c.b}: ITA ${t.ita_deg} vs nominal ${ita(c).toFixed(2)}`);
    assert.equal(t.category, c.category);
  }
});

test('ITA category and Fitzpatrick boundaries follow Del Bino 2006 (a boundary value goes to the darker class)', () => {
  const table: [number, string, string][] = [
    [90, 'very_light', 'I'], [55.01, 'very_light', 'I'], [55, 'light', 'II'], [41.01, 'light', 'II'],
    [41, 'intermediate', 'III'], [28.01, 'intermediate', 'III'], [28, 'tan', 'IV'], [10.01, 'tan', 'IV'],
    [10, 'brown', 'V'], [-29.99, 'brown', 'V'], [-30, 'dark', 'VI'], [-90, 'dark', 'VI'],
  ];
  for (const [ita, cat, fitz] of table) {
    assert.equal(itaCategory(ita), cat, `ITA ${ita}`);
    assert.equal(fitzpatrickFromIta(ita), fitz, `ITA ${ita}`);
  }
  assert.equal(itaDegrees(50, 20), 0);
  assert.ok(Math.abs(itaDegrees(70, 20) - 45) < 1e-9);
});

test('the nearest Monk swatch of each Monk swatch colour is itself', () => {
  MONK_HEX.forEach((hex, i) => {
    const lab = hexToLab(hex);
    const t = toneOfPatch(labToSrgb(lab));
    assert.equal(t.monk_tone, i + 1, hex);
    assert.equal(t.monk_hex, hex);
  });
});

test('the robust colour keeps the same pixels when the brightest of them clip (clipped pixels rank as the brightest)', () => {
  // 4096 skin colours, L* 40–75 and a*, b* drawn apart from L* (seeded), none clipped.
  const size = 64;
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rgbs = Array.from({ length: size * size }, () => labToSrgb({ L: 40 + 35 * rnd(), a: 8 + 8 * rnd(), b: 12 + 10 * rnd() }));
  assert.ok(rgbs.every((c) => Math.max(...c) < 250));
  const byL = rgbs.map((c, i) => [srgbToLab(...c).L, i] as const).sort((p, q) => q[0] - p[0]).map(([, i]) => i);
  const colourWith = (clippedShare: number) => {
    const data = new Uint8Array(size * size * 3);
    rgbs.forEach((c, i) => data.set(c, i * 3));
    // The brightest pixels clip in red, as lit skin does under more light.
    for (const i of byL.slice(0, Math.round(clippedShare * size * size))) data[i * 3] = 255;
    const ctx = createMeasureContext({ width: size, height: size, data }, { width: size, height: size, data: new Uint8Array(size * size).fill(1) }, 64);
    const c = robustLab(ctx, ctx.skinIdx);
    assert.ok(c);
    return c;
  };
  const before = colourWith(0);
  // 5 % clipped, under the 10 % top trim: exactly the same pixels are kept.
  const some = colourWith(0.05);
  assert.deepEqual([some.L, some.a, some.b, some.n], [before.L, before.a, before.b, before.n]);
  assert.equal(some.clippedFraction, Math.round(0.05 * size * size) / (size * size));
  // 30 % clipped: the bottom is trimmed as far as the top, so L* keeps its median (to a 0.1 bin).
  const many = colourWith(0.3);
  assert.ok(Math.abs(many.L - before.L) <= 0.1, `L* ${many.L} vs ${before.L}`);
  assert.ok(Math.abs(many.b - before.b) <= 0.5 && Math.abs(many.a - before.a) <= 0.5, JSON.stringify({ many, before }));
  assert.equal(many.clippedFraction, Math.round(0.3 * size * size) / (size * size));
});

test('a strong blue cast makes the skin tone unreliable and raises COLOR_CAST', () => {
  const blue = measureFace(withImage(editPixels(face, null, ([r, g, b]) => [r * 0.55, g * 0.8, Math.min(255, b * 1.5 + 30)])), FRONTAL);
  assertOutputValid(blue, 'blue cast');
  assert.ok(blue.cv.skin_tone.available && !blue.cv.skin_tone.reliable, JSON.stringify(blue.cv.skin_tone));
  assert.ok(codes(blue).includes('COLOR_CAST'));
  assert.ok(!codes(baseline).includes('COLOR_CAST'), 'the untinted photo has no cast');
});

// ---------------------------------------------------------------- face photo: baseline

test('every measure of the real face is available and matches the result schema', () => {
  assertOutputValid(baseline, 'baseline');
  const cv = baseline.cv;
  assert.ok(cv.skin_tone.available && cv.skin_type.available && cv.wrinkles.available);
  assert.ok(cv.dark_circles.available && cv.redness.available);
  assert.notEqual(cv.texture_quality, null);
  if (cv.skin_tone.available) for (const v of Object.values(cv.skin_tone.per_region)) assert.notEqual(v, null);
  assert.deepEqual(codes(baseline), [], 'the fixture is a usable photo');
  assert.equal(baseline.confidence, 1);
});

// ---------------------------------------------------------------- metamorphic tests

test('darkening the under-eye skin raises dark-circle severity', () => {
  const m = (rgb: number[]) => rgb.map((v) => v * 0.8);
  let img = editPixels(face, base.regions.under_eye_left, m);
  img = editPixels(img, base.regions.under_eye_right, m);
  const out = measureFace(withImage(img), FRONTAL);
  assertOutputValid(out, 'dark under-eyes');
  const before = baseline.cv.dark_circles, after = out.cv.dark_circles;
  assert.ok(before.available && after.available);
  if (!before.available || !after.available) return;
  assert.ok(after.delta_L > before.delta_L + 3, `ΔL* ${before.delta_L} → ${after.delta_L}`);
  assert.ok(after.severity > before.severity, `severity ${before.severity} → ${after.severity}`);
  assert.equal(after.detected, true);
});

test('thin dark lines drawn across the forehead raise forehead wrinkle density', () => {
  const b = bbox(base.regions.forehead);
  const rows = new Set<number>();
  for (let y = b.y0 + 4; y < b.y1 - 2; y += 6) { rows.add(y); rows.add(y + 1); }
  const img = editPixels(face, base.wrinkleZones.forehead, (rgb, _x, y) => (rows.has(y) ? rgb.map((v) => v * 0.85) : rgb));
  const out = measureFace(withImage(img), FRONTAL);
  assertOutputValid(out, 'forehead lines');
  const before = baseline.cv.wrinkles, after = out.cv.wrinkles;
  assert.ok(before.available && after.available);
  if (!before.available || !after.available) return;
  const f0 = before.per_region.forehead!, f1 = after.per_region.forehead!;
  assert.ok(f1.density > f0.density + 0.1, `forehead density ${f0.density} → ${f1.density}`);
  assert.equal(f1.detected, true);
  assert.ok(after.density > before.density);
  // The other zones are untouched.
  assert.deepEqual(after.per_region.nasolabial, before.per_region.nasolabial);
});

test('vertical dark lines on the forehead are not forehead lines (only lines within 30° of horizontal count there)', () => {
  const b = bbox(base.regions.forehead);
  const cols = new Set<number>();
  for (let x = b.x0 + 4; x < b.x1 - 2; x += 6) { cols.add(x); cols.add(x + 1); }
  const img = editPixels(face, base.wrinkleZones.forehead, (rgb, x) => (cols.has(x) ? rgb.map((v) => v * 0.85) : rgb));
  const out = measureFace(withImage(img), FRONTAL);
  const before = baseline.cv.wrinkles, after = out.cv.wrinkles;
  assert.ok(before.available && after.available);
  if (!before.available || !after.available) return;
  const f0 = before.per_region.forehead!, f1 = after.per_region.forehead!;
  assert.ok(f1.density < f0.density + 0.02, `forehead density ${f0.density} → ${f1.density}`);
});

test('ridgeResponse at a lower threshold (bench/wrinkle-features.ts) keeps every response above the default one and adds the weaker ones', () => {
  const mc = createMeasureContext(face, base.skin, base.interOcularPx, Object.values(base.wrinkleZones));
  const idx = pixelsOf(mc, base.wrinkleZones.crows_feet);
  const support = mc.skin.data.slice();
  for (const i of idx) support[i] = 1;
  const def = ridgeResponse(mc, support, idx).R, low = ridgeResponse(mc, support, idx, WRINKLE_SCALES, false, 0.25).R;
  assert.equal(low.length, def.length);
  let weak = 0;
  for (let k = 0; k < def.length; k++) {
    if (Number.isNaN(def[k])) { assert.ok(Number.isNaN(low[k])); continue; }
    // R is the maximum over the scales, and R ≤ λ2: a scale that only the low threshold lets
    // through adds at most the default threshold, so the default map's counted responses stay.
    if (def[k] > WRINKLE_RIDGE_THRESHOLD) assert.equal(low[k], def[k]);
    else assert.ok(low[k] >= def[k] && low[k] <= WRINKLE_RIDGE_THRESHOLD, `pixel ${k}: ${low[k]} at the low threshold, ${def[k]} at the default`);
    if (def[k] === 0 && low[k] > 0) weak++;
  }
  assert.ok(weak > 0, 'no ridge with λ2 between 0.25 and the default threshold was kept');
});

const noMask = (): Mask => ({ width: face.width, height: face.height, data: new Uint8Array(face.width * face.height) });
const zoneThresholdSum = (zones: readonly (keyof typeof WRINKLE_ZONE_THRESHOLDS)[]) => zones.reduce((s, z) => s + WRINKLE_ZONE_THRESHOLDS[z], 0);

test('overall wrinkle density is the mean of the four zones and the cheeks, each relative to its detection density', () => {
  const w = baseline.cv.wrinkles;
  assert.ok(w.available);
  if (!w.available) return;
  const zones = (Object.keys(w.per_region) as (keyof typeof WRINKLE_ZONE_THRESHOLDS)[]).filter((z) => w.per_region[z] !== null);
  assert.ok(zones.length >= 3, 'most zones measured on the fixture');
  const zoneSum = zones.reduce((s, z) => s + w.per_region[z]!.density, 0);
  // Without the cheeks, the zones alone on the same scale.
  const noCheeks = measureFace({ ...base, regions: { ...base.regions, left_cheek: noMask(), right_cheek: noMask() } }, FRONTAL).cv.wrinkles;
  assert.ok(noCheeks.available);
  if (!noCheeks.available) return;
  assert.deepEqual(noCheeks.per_region, w.per_region, 'the cheeks do not change the zones');
  const zonesOnly = (zoneSum / zoneThresholdSum(zones)) * WRINKLE_OVERALL_SCALE;
  assert.ok(Math.abs(noCheeks.density - zonesOnly) < 1e-3, `overall without cheeks ${noCheeks.density}, expected ${zonesOnly.toFixed(4)}`);
  // With them, the cheeks count (the fixture's cheek density is not exactly its threshold-relative
  // zone mean), and the cheek density the overall implies is a density.
  assert.notEqual(w.density, noCheeks.density, 'the cheeks count towards the overall density');
  const cheek = (w.density / WRINKLE_OVERALL_SCALE) * (zoneThresholdSum(zones) + WRINKLE_CHEEK_THRESHOLD) - zoneSum;
  assert.ok(cheek > 0.01 && cheek < 1, `implied cheek density ${cheek.toFixed(3)}`);
  // Detection follows each density's own threshold, so it agrees with the score's "below good".
  assert.equal(w.detected, w.density >= WRINKLE_DENSITY_THRESHOLD);
  for (const [z, r] of Object.entries(w.per_region)) {
    if (r) assert.equal(r.detected, r.density >= WRINKLE_ZONE_THRESHOLDS[z as keyof typeof WRINKLE_ZONE_THRESHOLDS], z);
  }
});

test('a wrinkle zone that cannot be measured does not pull the overall density by which zone it was', () => {
  const full = baseline.cv.wrinkles;
  assert.ok(full.available);
  if (!full.available) return;
  const noCheeks = { ...base.regions, left_cheek: noMask(), right_cheek: noMask() };
  const { nasolabial: _dropped, ...rest } = base.wrinkleZones;
  const partial = measureFace({ ...base, regions: noCheeks, wrinkleZones: rest as MeasureInput['wrinkleZones'] }, FRONTAL).cv.wrinkles;
  assert.ok(partial.available);
  if (!partial.available) return;
  assert.equal(partial.per_region.nasolabial, null);
  // The measured zones, each relative to its own detection density, on the scale of all five parts.
  const zones = (['forehead', 'crows_feet', 'under_eye'] as const).filter((z) => partial.per_region[z]);
  const ratio = zones.reduce((s, z) => s + partial.per_region[z]!.density, 0) / zoneThresholdSum(zones);
  assert.ok(Math.abs(partial.density - ratio * WRINKLE_OVERALL_SCALE) < 1e-3, `overall ${partial.density}, expected ${(ratio * WRINKLE_OVERALL_SCALE).toFixed(4)}`);
  assert.notEqual(partial.density, Number((zones.reduce((s, z) => s + partial.per_region[z]!.density, 0) / zones.length).toFixed(4)), 'not the plain mean of the zones left');
});

test('reddening the cheeks raises cheek redness, much more than elsewhere', () => {
  const red = (rgb: number[]) => [rgb[0] + 25, rgb[1] - 12, rgb[2] - 4];
  let img = editPixels(face, base.regions.left_cheek, red);
  img = editPixels(img, base.regions.right_cheek, red);
  const out = measureFace(withImage(img), FRONTAL);
  assertOutputValid(out, 'red cheeks');
  const before = baseline.cv.redness, after = out.cv.redness;
  assert.ok(before.available && after.available);
  if (!before.available || !after.available) return;
  for (const side of ['left_cheek', 'right_cheek'] as const) {
    const b0 = before.per_region[side]!, b1 = after.per_region[side]!;
    assert.ok(b1.mean_a > b0.mean_a + 5, `${side} a* ${b0.mean_a} → ${b1.mean_a}`);
    assert.ok(b1.score > b0.score + 0.05, `${side} score ${b0.score} → ${b1.score}`);
  }
  const dCheek = after.per_region.left_cheek!.score - before.per_region.left_cheek!.score;
  const dForehead = Math.abs(after.per_region.forehead!.score - before.per_region.forehead!.score);
  assert.ok(dForehead < dCheek / 3, `forehead moved ${dForehead}, cheek ${dCheek}`);
});

test('blurring the photo lowers sharpness and raises BLURRED', async () => {
  const out = measureFace(withImage(await gaussianBlur(face, 2)), FRONTAL);
  assertOutputValid(out, 'blurred');
  assert.ok(out.quality.sharpness < baseline.quality.sharpness / 2, `${baseline.quality.sharpness} → ${out.quality.sharpness}`);
  assert.ok(codes(out).includes('BLURRED'));
  assert.ok(!codes(baseline).includes('BLURRED'));
  assert.ok(out.confidence < baseline.confidence);
  // A blurred face also reads smoother.
  assert.ok((out.cv.texture_quality ?? 0) > (baseline.cv.texture_quality ?? 1));
});

test('darkening the whole photo raises TOO_DARK; brightening it raises TOO_BRIGHT', () => {
  const dark = measureFace(withImage(editPixels(face, null, (rgb) => rgb.map((v) => v * 0.25))), FRONTAL);
  assertOutputValid(dark, 'dark');
  assert.ok(codes(dark).includes('TOO_DARK'), JSON.stringify(dark.quality.exposure));
  assert.ok(dark.quality.exposure.mean_L < baseline.quality.exposure.mean_L);
  assert.ok(!codes(baseline).includes('TOO_DARK'));
  const issue = dark.quality.issues.find((i) => i.code === 'TOO_DARK')!;
  assert.match(issue.advice, /window|light/i);

  const bright = measureFace(withImage(editPixels(face, null, (rgb) => rgb.map((v) => v * 1.9 + 40))), FRONTAL);
  assertOutputValid(bright, 'bright');
  assert.ok(codes(bright).includes('TOO_BRIGHT'), JSON.stringify(bright.quality.exposure));
});

test('a turned or small face is flagged and lowers confidence', () => {
  const turned = measureFace(base, { faceSizePx: 420, pose: { yaw: 40, pitch: 0, roll: 0 } });
  assert.deepEqual(codes(turned), ['FACE_TURNED']);
  assert.ok(turned.confidence < 1);
  const pitched = measureFace(base, { faceSizePx: 420, pose: { yaw: 0, pitch: -30, roll: 0 } });
  assert.deepEqual(codes(pitched), ['FACE_TURNED']);
  const small = measureFace(base, { faceSizePx: 80, pose: { yaw: 0, pitch: 0, roll: 0 } });
  assert.deepEqual(codes(small), ['FACE_TOO_SMALL']);
  const both = measureFace(base, { faceSizePx: 80, pose: { yaw: 40, pitch: 0, roll: 0 } });
  assert.ok(both.confidence < Math.min(turned.confidence, small.confidence));
  for (const o of [turned, pitched, small, both]) {
    assertOutputValid(o, 'pose/size');
    assertValid(Pose, o.quality.pose, 'pose');
  }
});

// ---------------------------------------------------------------- missing data

test('missing or tiny regions give null / unavailable, never a made-up value', () => {
  const empty = (): Mask => ({ width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE) });
  const input: MeasureInput = {
    ...base,
    regions: { ...base.regions, under_eye_left: empty(), left_cheek: empty(), forehead: empty() },
    wrinkleZones: { ...base.wrinkleZones, crows_feet: empty() },
  };
  const out = measureFace(input, FRONTAL);
  assertOutputValid(out, 'missing regions');
  const { skin_tone, redness, wrinkles, dark_circles } = out.cv;
  assert.ok(skin_tone.available && redness.available && wrinkles.available && dark_circles.available);
  if (!skin_tone.available || !redness.available || !wrinkles.available || !dark_circles.available) return;
  assert.equal(skin_tone.per_region.forehead, null);
  assert.equal(redness.per_region.left_cheek, null);
  assert.notEqual(redness.per_region.right_cheek, null);
  assert.equal(wrinkles.per_region.crows_feet, null);
  assert.equal(dark_circles.per_side.left, null);
  assert.notEqual(dark_circles.per_side.right, null);

  const noSkin = measureFace({ ...base, skin: empty(), regions: Object.fromEntries(Object.keys(base.regions).map((k) => [k, empty()])) as MeasureInput['regions'],
    wrinkleZones: Object.fromEntries(Object.keys(base.wrinkleZones).map((k) => [k, empty()])) as MeasureInput['wrinkleZones'] }, FRONTAL);
  assertOutputValid(noSkin, 'no skin');
  for (const k of ['skin_tone', 'skin_type', 'wrinkles', 'dark_circles', 'redness'] as const) {
    assert.equal(noSkin.cv[k].available, false, k);
  }
  assert.equal(noSkin.cv.texture_quality, null);
});

test('close-up mode measures tone, redness, texture and quality; face-based measures are not applicable', async () => {
  const { data } = await sharp(FACE_PATH).extract({ left: 140, top: 300, width: 110, height: 90 }).resize(256, 256).removeAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  const image: RgbImage = { width: 256, height: 256, data: new Uint8Array(data) };
  const skin: Mask = { width: 256, height: 256, data: new Uint8Array(256 * 256).fill(1) };
  const out = measureCloseup(image, skin);
  assertOutputValid(out, 'close-up');
  assert.equal(out.cv.skin_tone.available, true);
  assert.equal(out.cv.redness.available, true);
  assert.notEqual(out.cv.texture_quality, null);
  for (const k of ['skin_type', 'wrinkles', 'dark_circles'] as const) {
    assert.deepEqual(out.cv[k], { available: false, reason: 'not applicable in close-up mode' });
  }
  assert.equal(out.quality.face_size_px, null);
  assert.equal(out.quality.pose, null);
  if (out.cv.skin_tone.available) assert.ok(Object.values(out.cv.skin_tone.per_region).every((v) => v === null));
});
