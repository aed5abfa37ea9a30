/**
 * White balance (issue #13 §3), as metamorphic tests on the real face fixtures: change the
 * light of a photo on purpose and the skin tone must stay put, because the engine estimates
 * the light from the face's surroundings and undoes it before measuring colour.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import type { AnalysisResult } from '../src/engine/result/schema.ts';
import { cctOf, planckRgb } from '../src/engine/measures/illuminant.ts';
import { linearToSrgb, srgbToLab, srgbToLinear } from '../src/engine/measures/color.ts';
import { EXPOSURE_ALPHA, exposureGain, scaleLabExposure } from '../src/engine/measures/skin-tone.ts';
import { CLIP_LEVEL } from '../src/engine/measures/robust.ts';
import { exposureReference, surroundMean, whiteBalance } from '../src/engine/measures/white-balance.ts';
import { exposure, whiteShift } from '../bench/perturb.ts';
import { fixtureInput, loadSquareRgb } from './fixtures/measure-masks.ts';
import { copyData } from '../testkit/measure-input.ts';
import { fixture } from '../testkit/fixtures.ts';

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

const PHOTOS = ['obama.jpg', 'biden2.jpg', 'sergey.png', 'astronaut.png'];
const analyse = async (bytes: Buffer) => engine.analyze(new Uint8Array(bytes));
function tone(r: AnalysisResult) {
  const t = r.cv_analysis.skin_tone;
  assert.ok(t.available, 'skin tone available');
  return t;
}

test('the balanced image\'s surround means and exposure reference, taken while it is made, equal them computed from its pixels', async () => {
  for (const photo of ['sergey.png', 'biden2.jpg']) {
    const input = fixtureInput(await loadSquareRgb(fileURLToPath(new URL(`../../shared/fixtures/faces/${photo}`, import.meta.url)), 384));
    const wb = whiteBalance(input.image, input.skin);
    assert.ok(wb.report.corrected, `${photo}: not corrected, so nothing was taken in the pass`);
    // A copy is an image the caches have never seen: computed from its pixels.
    const copy = copyData(wb.image);
    assert.equal(exposureReference(wb.image), exposureReference(copy), photo);
    for (const level of [230, CLIP_LEVEL]) assert.deepEqual(surroundMean(wb.image, input.skin, level), surroundMean(copy, input.skin, level), `${photo} below ${level}`);
  }
});

test('the Planckian white and its CCT round-trip (McCamy, Krystek), within 1 %', () => {
  for (const T of [2700, 3200, 4600, 5500, 6504, 8000]) {
    const { cct, duv } = cctOf(planckRgb(T));
    assert.ok(Math.abs(cct - T) / T < 0.01, `${T} K → ${cct.toFixed(0)} K`);
    assert.ok(Math.abs(duv) < 0.002, `on the locus (Duv ${duv.toFixed(4)})`);
  }
});

test('the exposure scaling of L*a*b* is exact: it equals converting the colour under g times the light', () => {
  for (const [r, g, b] of [[200, 150, 120], [120, 80, 60], [60, 40, 30]] as const) {
    for (const gain of [0.6, 0.85, 1.3]) {
      const lit = srgbToLab(...([r, g, b].map((v) => linearToSrgb(srgbToLinear(v) * gain)) as [number, number, number]));
      const scaled = scaleLabExposure(srgbToLab(r, g, b), gain);
      // Exact while X/Xn, Y/Yn and Z/Zn stay above ε = 216/24389 (the cube-root branch); the dark
      // [60, 40, 30] dips below it in Z at ×0.6 and is off by 0.002 in b*.
      const tol = r === 60 ? 0.01 : 1e-6;
      for (const k of ['L', 'a', 'b'] as const) assert.ok(Math.abs(scaled[k] - lit[k]) < tol, `${k}: ${scaled[k]} vs ${lit[k]}`);
    }
  }
});

test('the exposure gain undoes the share α of a change of the reference, and says when the reference is unusable', () => {
  const g0 = exposureGain(0.4).gain;
  assert.ok(Math.abs(exposureGain(0.4 * 0.85).gain / g0 - 0.85 ** -EXPOSURE_ALPHA) < 1e-9);
  assert.equal(exposureGain(null).clamped, true);
  assert.equal(exposureGain(0.01).clamped, true);
  assert.equal(exposureGain(0.4).clamped, false);
});

describe('colour that does not follow the light', () => {
  for (const name of PHOTOS) {
    // The target is 5°; the correction keeps it under 2° (uncorrected: up to 2.9°).
    test(`${name}: a ±300 K white-balance shift moves ITA by ≤ 2° and the estimated light moves with it`, async () => {
      const bytes = fixture('faces', name);
      const base = await analyse(bytes);
      const warm = await analyse(await whiteShift(-300).apply(bytes));
      const cool = await analyse(await whiteShift(300).apply(bytes));
      for (const [label, r] of [['−300 K', warm], ['+300 K', cool]] as const) {
        const d = Math.abs(tone(r).ita_deg - tone(base).ita_deg);
        assert.ok(d <= 2, `${label}: ITA ${tone(base).ita_deg} → ${tone(r).ita_deg} (Δ ${d.toFixed(1)}°)`);
        assert.ok(r.cv_analysis.white_balance.corrected, `${label}: corrected`);
      }
      const cct = (r: AnalysisResult) => r.cv_analysis.white_balance.estimated_cct_k!;
      assert.ok(cct(warm) < cct(base) && cct(base) < cct(cool), `estimates ${cct(warm)} < ${cct(base)} < ${cct(cool)} K`);
    });

    // astronaut.png used to be a `todo` here (Monk 5 → 7 at 3,200 K). 3,200 K clips the red
    // channel of its bright skin; while the robust colour dropped the clipped pixels, the skin
    // left was the shadowed part and ITA fell from 35° to −17°. Since the clipped pixels rank as
    // the brightest (robust.ts) it is 35° → 39°, Monk 6 → 6; biden2 still falls 32° → 1°. What can
    // be asserted about that is the next test's: the tone says it is not reliable.
    test(`${name}: warm indoor light (3,200 K) and a darkened feed (−50 % light) stay within 1 Monk step`, async () => {
      const bytes = fixture('faces', name);
      const base = tone(await analyse(bytes));
      const warm = await analyse(await whiteShift(3200 - 6504).apply(bytes));
      const dark = await analyse(await exposure(0.5).apply(bytes));
      for (const [label, r] of [['3,200 K', warm], ['−50 %', dark]] as const) {
        const t = tone(r);
        assert.ok(Math.abs(t.monk_tone - base.monk_tone) <= 1, `${label}: Monk ${base.monk_tone} → ${t.monk_tone} (ITA ${base.ita_deg} → ${t.ita_deg})`);
      }
    });

    // The tone's exposure normalisation (skin-tone.ts): uncorrected, ×0.85 moved these fixtures'
    // ITA by 4.7–9.3°. At ×1.15 more of bright skin clips on some photos, which the tone must then
    // flag (astronaut: +10°, its white-balance estimate moves 4,910 → 4,350 K).
    test(`${name}: exposure ×0.85 moves ITA by ≤ 5°; ×1.15 too, or the tone says it is not reliable`, async () => {
      const bytes = fixture('faces', name);
      const base = tone(await analyse(bytes));
      for (const f of [0.85, 1.15]) {
        const t = tone(await analyse(await exposure(f).apply(bytes)));
        const d = Math.abs(t.ita_deg - base.ita_deg);
        if (f < 1 || t.reliable) assert.ok(d <= 5, `×${f}: ITA ${base.ita_deg} → ${t.ita_deg} (Δ ${d.toFixed(1)}°, reliable ${t.reliable})`);
      }
    });

    test(`${name}: when warm light or a darkened feed moves the tone by more than 1 Monk step, the tone says it is not reliable`, async () => {
      const bytes = fixture('faces', name);
      const base = tone(await analyse(bytes));
      for (const change of [whiteShift(3200 - 6504), exposure(0.5)]) {
        const t = tone(await analyse(await change.apply(bytes)));
        if (Math.abs(t.monk_tone - base.monk_tone) > 1) assert.equal(t.reliable, false, `Monk ${base.monk_tone} → ${t.monk_tone} shown as reliable`);
      }
    });
  }

  test('with no surroundings to judge the light by (a close-up of skin), nothing is corrected and tone is not reliable', async () => {
    const bytes = fixture('faces', 'sergey.png');
    const cheek = await sharp(bytes).extract({ left: 170, top: 300, width: 110, height: 110 }).png().toBuffer();
    const r = await engine.analyze(new Uint8Array(cheek), { closeup: true });
    assert.equal(r.cv_analysis.white_balance.corrected, false);
    assert.equal(r.cv_analysis.white_balance.reliable, false);
    assert.equal(r.cv_analysis.white_balance.method, 'none');
    assert.equal(tone(r).reliable, false);
    assert.match(tone(r).warnings.join(' '), /white-balance/);
    assert.equal(r.scores.redness.available && r.scores.redness.reliable, false);
  });
});
