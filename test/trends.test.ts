/**
 * Trends (issue #13 §2): a change between two scans is marked real only when it exceeds the
 * score's minimal detectable change measured by npm run repeatability.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markChanges, mdcTable, scoreValues } from '../src/service/trends.ts';
import { minimalDetectableChange } from '../src/engine/scores/uncertainty.ts';

test('changes within the minimal detectable change are not real; larger ones are, in either direction', () => {
  const mdc = { redness: 4.3 };
  const changes = markChanges([{ redness: 60 }, { redness: 64 }, { redness: 69 }, { redness: null }, { redness: 60 }], mdc);
  assert.deepEqual(changes[0], {}, 'the first scan has nothing to compare with');
  assert.deepEqual(changes[1].redness, { delta: 4, real: false });
  assert.deepEqual(changes[2].redness, { delta: 5, real: true });
  assert.deepEqual(changes[3], {}, 'an unavailable score is skipped');
  assert.deepEqual(changes[4].redness, { delta: -9, real: true }, 'compared with the last scan that had the score');
});

test('a score without a measured MDC never marks a change as real', () => {
  assert.equal(markChanges([{ texture: 10 }, { texture: 90 }], {})[1].texture?.real, false);
});

test('the MDC table is the measured one (MDC95 = 2.77 × SD)', () => {
  const t = mdcTable();
  assert.equal(t.redness, minimalDetectableChange('redness'));
  assert.ok(t.overall !== undefined && t.wrinkles !== undefined);
});

test('score values come from the stored result and are null where unavailable or unreadable', () => {
  const v = scoreValues({
    scores: { redness: { available: true, value: 71 }, acne: { available: false, reason: 'x' } },
    summary: { overall: { available: true, value: 66 } },
  });
  assert.equal(v.redness, 71);
  assert.equal(v.acne, null);
  assert.equal(v.overall, 66);
  assert.equal(v.texture, null, 'missing in an old result');
  assert.equal(scoreValues(null).overall, null);
});
