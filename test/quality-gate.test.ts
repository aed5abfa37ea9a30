/**
 * The quality gate fails a photo whose skin it cannot measure (SKIN_NOT_FOUND), so nothing
 * built on the skin is reported as reliable. An attack review found obama.jpg, made grey and
 * given 5 % of its light, passing the gate with no skin pixel measured ("passed", acne
 * "excellent, reliable"), and an all-black close-up likewise.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { fixture } from '../testkit/fixtures.ts';

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

test('a face found but no skin measurable: SKIN_NOT_FOUND, and no model answer or score is reliable', async () => {
  const dim = await sharp(fixture('faces', 'obama.jpg')).greyscale().linear(0.05, 0).jpeg({ quality: 95 }).toBuffer();
  const r = await engine.analyze(new Uint8Array(dim));
  assert.notEqual(r.face, null, 'the face is still found');
  assert.equal(r.cv_analysis.skin_tone.available, false);
  assert.equal(r.quality.passed, false);
  assert.ok(r.quality.issues.some((i) => i.code === 'SKIN_NOT_FOUND'), JSON.stringify(r.quality.issues));
  const { acne_analysis: acne, condition_analysis: cond } = r.ml_analysis;
  assert.ok(acne.available && !acne.reliable, 'acne answer unreliable');
  assert.ok(cond.available && !cond.reliable, 'condition answer unreliable');
  for (const [name, s] of Object.entries(r.scores)) if (s.available) assert.equal(s.reliable, false, name);
  assert.ok(r.summary.overall.available && !r.summary.overall.reliable);
  assert.ok(r.confidence <= 0.5, `confidence ${r.confidence}`);
});

test('an all-black close-up fails the gate with SKIN_NOT_FOUND', async () => {
  const black = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000000' } }).png().toBuffer();
  const r = await engine.analyze(new Uint8Array(black), { closeup: true });
  assert.equal(r.quality.passed, false);
  assert.ok(r.quality.issues.some((i) => i.code === 'SKIN_NOT_FOUND'), JSON.stringify(r.quality.issues));
  assert.ok(r.ml_analysis.acne_analysis.available && !r.ml_analysis.acne_analysis.reliable);
});

test('a normal photo has no SKIN_NOT_FOUND', async () => {
  const r = await engine.analyze(fixture('faces', 'obama.jpg'));
  assert.ok(!r.quality.issues.some((i) => i.code === 'SKIN_NOT_FOUND'));
});
