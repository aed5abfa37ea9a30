/**
 * White balance (issue #13 §3), as metamorphic tests on the real face fixtures: change the
 * light of a photo on purpose and the skin tone must stay put, because the engine estimates
 * the light from the face's surroundings and undoes it before measuring colour.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import type { AnalysisResult } from '../src/engine/result/schema.ts';
import { cctOf, planckRgb } from '../src/engine/measures/illuminant.ts';
import { exposure, whiteShift } from '../bench/perturb.ts';
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

test('the Planckian white and its CCT round-trip (McCamy, Krystek), within 1 %', () => {
  for (const T of [2700, 3200, 4600, 5500, 6504, 8000]) {
    const { cct, duv } = cctOf(planckRgb(T));
    assert.ok(Math.abs(cct - T) / T < 0.01, `${T} K → ${cct.toFixed(0)} K`);
    assert.ok(Math.abs(duv) < 0.002, `on the locus (Duv ${duv.toFixed(4)})`);
  }
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

    // Known miss (issue #13): on astronaut.png, 3,200 K clips the red channel of the bright skin
    // and the tone lands 2 Monk steps darker; the engine then marks the tone unreliable.
    const todo = name === 'astronaut.png' ? 'astronaut.png at 3,200 K: Monk 5 → 7, tone marked unreliable' : undefined;
    test(`${name}: warm indoor light (3,200 K) and a darkened feed (−50 % light) stay within 1 Monk step`, { todo }, async () => {
      const bytes = fixture('faces', name);
      const base = tone(await analyse(bytes));
      const warm = await analyse(await whiteShift(3200 - 6504).apply(bytes));
      const dark = await analyse(await exposure(0.5).apply(bytes));
      for (const [label, r] of [['3,200 K', warm], ['−50 %', dark]] as const) {
        const t = tone(r);
        assert.ok(Math.abs(t.monk_tone - base.monk_tone) <= 1, `${label}: Monk ${base.monk_tone} → ${t.monk_tone} (ITA ${base.ita_deg} → ${t.ita_deg})`);
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
