/**
 * Scores (issue #13 §1): one 0–100 scale, higher = healthier-looking, six shared bands, every
 * mapping pinned at its anchors, nothing invented when an input is missing, and a summary
 * that names the lowest concerns and the professional flag at its documented level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAND_EDGES, bandOf, piecewise } from '../src/engine/scores/bands.ts';
import { computeScores, PROFESSIONAL_LEVEL, summarise, type ScoreInputs } from '../src/engine/scores/index.ts';
import { minimalDetectableChange, uncertaintyOf } from '../src/engine/scores/uncertainty.ts';
import { Scores, Summary } from '../src/engine/result/schema.ts';
import { analysisResultSchema } from '../src/service/schemas.ts';

test('band edges: 90 excellent, 80 great, 70 good, 50 average, 30 poor, below bad; an edge belongs to the higher band', () => {
  const cases: [number, string][] = [
    [100, 'excellent'], [90, 'excellent'], [89, 'great'], [80, 'great'], [79, 'good'], [70, 'good'],
    [69, 'average'], [50, 'average'], [49, 'poor'], [30, 'poor'], [29, 'bad'], [0, 'bad'],
  ];
  for (const [v, band] of cases) assert.equal(bandOf(v), band, `score ${v}`);
  assert.deepEqual(BAND_EDGES.map((e) => e.band), ['excellent', 'great', 'good', 'average', 'poor', 'bad']);
});

test('piecewise maps are linear between anchors and flat beyond them', () => {
  const a = [[0, 100], [0.08, 70], [0.3, 0]] as const;
  assert.equal(piecewise(a, -1), 100);
  assert.equal(piecewise(a, 0), 100);
  assert.equal(piecewise(a, 0.04), 85);
  assert.equal(piecewise(a, 0.08), 70);
  assert.equal(piecewise(a, 0.3), 0);
  assert.equal(piecewise(a, 2), 0);
});

/** Inputs with every raw measure set; `edit` changes some. */
function inputs(edit: (i: any) => void = () => {}): ScoreInputs {
  const zone = (density: number) => ({ detected: density >= 0.3, density });
  const i: any = {
    ml: {
      acne_analysis: {
        available: true, detected: false, confidence: 0.9, label: 'no_acne', probabilities: { no_acne: 0.9, acne: 0.1 },
        threshold: 0.4, model: { name: 'acne_binary', version: 't' },
      },
      condition_analysis: {
        available: true, condition: 'normal', confidence: 0.8,
        probabilities: { normal: 0.8, acne: 0.05, rosacea: 0.05, eczema: 0.05, pigmentation: 0.05 }, reliable: true, model: { name: 'c', version: 't' },
      },
      ml_models_used: [],
    },
    cv: {
      skin_tone: { available: false, reason: 'test' },
      skin_type: { available: true, type: 'normal', confidence: 0.5, shine: { t_zone: 0.04, cheeks: 0.04 }, roughness: 0.3, rule: '' },
      texture_quality: 0.83,
      wrinkles: {
        available: true, detected: true, density: 0.3,
        per_region: { forehead: zone(0), crows_feet: zone(0.62), under_eye: zone(0.555), nasolabial: null },
      },
      dark_circles: { available: true, detected: true, severity: 0.25, delta_L: 4.5, delta_E: 5, per_side: { left: null, right: null } },
      redness: { available: true, score: 0.5, mean_a: 18, per_region: {} },
      evenness: { available: true, quality: 0.9, energy: 1 },
      white_balance: { estimated_cct_k: 4600, corrected: true, method: 'grey_world', reliable: true, calibrated: false },
    },
    quality: { passed: true, issues: [], sharpness: 0.8, exposure: { mean_L: 60, dark_fraction: 0, bright_fraction: 0 }, face_size_px: 400, pose: null },
  };
  edit(i);
  return i as ScoreInputs;
}

const value = (s: Scores[keyof Scores]) => (s.available ? s.value : null);

test('each mapping meets its anchors: a detection threshold lands on 70, the bottom of "good"', () => {
  const s = computeScores(inputs());
  assert.doesNotThrow(() => Scores.parse(s));
  assert.equal(value(s.acne), 93, 'p(acne) 0.1 with threshold 0.4 → 100 − 30 × 0.1/0.4 = 92.5 → 93');
  assert.equal(value(s.redness), 50, 'redness score 0.5 (a* 18) → 50');
  assert.equal(value(s.wrinkles), 70, 'wrinkle density at the detection threshold 0.30 → 70');
  assert.equal(value(s.wrinkles_forehead), 100);
  assert.equal(value(s.wrinkles_crows_feet), 0, "crow's-feet density 0.62 (twice its threshold 0.31) → 0");
  assert.equal(value(s.wrinkles_under_eye), 35, 'under-eye density 0.555, halfway from its threshold 0.37 to 0.74 → 35');
  assert.equal(value(computeScores(inputs((i) => (i.cv.wrinkles.per_region.under_eye = { detected: true, density: 0.37 }))).wrinkles_under_eye), 70, 'under-eye density at its threshold 0.37 → 70');
  assert.equal(value(s.texture), 83);
  assert.equal(value(s.dark_circles), 70, 'dark-circle detection severity 0.25 → 70');
  assert.equal(value(s.evenness), 90);
  assert.equal(value(s.oiliness), 70, 'mean shine at the oily threshold 0.04 → 70');
  const atThreshold = computeScores(inputs((i) => (i.ml.acne_analysis.probabilities.acne = 0.4)));
  assert.equal(value(atThreshold.acne), 70, "p(acne) at the model's threshold → 70");
  for (const [name, sc] of Object.entries(s)) {
    if (!sc.available) continue;
    assert.ok(sc.basis.measures.length > 0 && sc.basis.mapping.length > 10, `${name} names its basis`);
  }
});

test('higher raw problem measures never give a higher score', () => {
  let last = 101;
  for (const d of [0, 0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5, 0.72]) {
    const v = value(computeScores(inputs((i) => (i.cv.wrinkles.density = d))).wrinkles)!;
    assert.ok(v <= last, `density ${d}: ${v} ≤ ${last}`);
    last = v;
  }
});

test('no score is invented when its input is unavailable: it says why', () => {
  const s = computeScores(inputs((i) => {
    i.ml.acne_analysis = { available: false, reason: 'model file missing' };
    i.cv.wrinkles.per_region.nasolabial = null;
    i.cv.texture_quality = null;
    i.cv.skin_type = { available: false, reason: 'not applicable in close-up mode' };
  }));
  for (const name of ['acne', 'wrinkles_nasolabial', 'texture', 'oiliness'] as const) {
    const sc = s[name];
    assert.equal(sc.available, false, name);
    if (!sc.available) assert.ok(sc.reason.length > 5, `${name}: ${sc.reason}`);
  }
  assert.match((s.acne as { reason: string }).reason, /model file missing/);
});

test('a quality issue or an untrusted white balance makes the affected scores unreliable, not the others', () => {
  const blurred = computeScores(inputs((i) => i.quality.issues.push({ code: 'BLURRED', message: '', advice: '' })));
  assert.equal(blurred.wrinkles.available && blurred.wrinkles.reliable, false);
  assert.equal(blurred.texture.available && blurred.texture.reliable, false);
  assert.equal(blurred.redness.available && blurred.redness.reliable, true);
  const noWb = computeScores(inputs((i) => (i.cv.white_balance = { ...i.cv.white_balance, corrected: false, method: 'none', reliable: false })));
  assert.equal(noWb.redness.available && noWb.redness.reliable, false);
  assert.equal(noWb.wrinkles.available && noWb.wrinkles.reliable, true);
});

test('summary: overall is the mean of the concern scores; the lowest two or three below "good" stand out, lowest first', () => {
  const i = inputs();
  const s = computeScores(i);
  const sum = summarise(s, i);
  assert.doesNotThrow(() => Summary.parse(sum));
  // acne 93, redness 50, wrinkles 70, texture 83, dark circles 70, evenness 90, oiliness 70
  assert.equal(sum.overall.available && sum.overall.value, Math.round((93 + 50 + 70 + 83 + 70 + 90 + 70) / 7));
  assert.deepEqual(sum.concerns.map((c) => c.score), ['redness']);
  assert.match(sum.concerns[0].text, /redness/i);
  const worse = inputs((x) => {
    x.cv.wrinkles.density = 0.47;
    x.cv.texture_quality = 0.2;
    x.cv.evenness.quality = 0.4;
    x.cv.dark_circles.severity = 0.6;
  });
  const sum2 = summarise(computeScores(worse), worse);
  // texture 20, wrinkles 30 (0.47: 0.17 past its threshold 0.30), dark circles 37, evenness 40, redness 50: five below 70, three shown.
  assert.equal(sum2.concerns.length, 3, 'at most three');
  assert.deepEqual(sum2.concerns.map((c) => c.score), ['texture', 'wrinkles', 'dark_circles']);
});

test(`see_a_professional turns on at a rosacea, eczema or pigmentation probability of ${PROFESSIONAL_LEVEL}, not below, and never for acne alone`, () => {
  const at = (cond: string, p: number) => {
    const i = inputs((x) => (x.ml.condition_analysis.probabilities[cond] = p));
    return summarise(computeScores(i), i);
  };
  for (const c of ['rosacea', 'eczema', 'pigmentation']) {
    assert.equal(at(c, PROFESSIONAL_LEVEL).see_a_professional, true, c);
    assert.match(at(c, PROFESSIONAL_LEVEL).professional_note, new RegExp(c));
    assert.equal(at(c, PROFESSIONAL_LEVEL - 0.01).see_a_professional, false, c);
  }
  assert.equal(at('acne', 0.99).see_a_professional, false);
  // A photo below the quality level (condition_analysis.reliable false): no referral, a retake instead.
  const poor = inputs((x) => {
    x.ml.condition_analysis.probabilities.rosacea = 0.8;
    if (x.ml.condition_analysis.available) x.ml.condition_analysis.reliable = false;
  });
  const p = summarise(computeScores(poor), poor);
  assert.equal(p.see_a_professional, false);
  assert.match(p.professional_note, /rosacea 80 %.*retake/);
  const none = inputs((x) => (x.ml.condition_analysis = { available: false, reason: 'no model' }));
  const s = summarise(computeScores(none), none);
  assert.equal(s.see_a_professional, false);
  assert.match(s.professional_note, /unavailable/);
});

test('uncertainty and the minimal detectable change come from the measured repeatability figures', () => {
  const u = uncertaintyOf('redness');
  const mdc = minimalDetectableChange('redness');
  assert.ok(u !== null && mdc !== null, 'redness has a measured SD');
  assert.ok(Math.abs(mdc / u - Math.SQRT2) < 0.05, 'MDC95 = √2 × the 95 % half-width');
  const s = computeScores(inputs());
  assert.equal(s.redness.available && s.redness.uncertainty, u);
});

test('the JSON Schema that the OpenAPI document embeds carries scores, summary and white_balance', () => {
  const schema = analysisResultSchema() as { required?: string[] };
  assert.ok(schema.required?.includes('scores') && schema.required.includes('summary'));
  const json = JSON.stringify(schema);
  for (const k of ['scores', 'summary', 'white_balance', 'see_a_professional', 'uncertainty', 'estimated_cct_k']) assert.ok(json.includes(k), k);
});
