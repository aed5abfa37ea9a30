/**
 * Test–retest repeatability (issue #13 §2), reduced set: three face fixtures, one benign change
 * of each kind. Every 0–100 score must move by at most 5 points SD, except where the full run
 * (`npm run repeatability`) measured more; those carry the wider uncertainty they published.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { SCORE_NAMES } from '../src/engine/result/schema.ts';
import { REPEATABILITY } from '../src/engine/scores/uncertainty.ts';
import { formatTable, measureRepeatability } from '../bench/repeatability.ts';
import { REDUCED_CHANGES } from '../bench/perturb.ts';
import { fixture } from '../testkit/fixtures.ts';

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

test('scores repeat under benign changes: SD ≤ 5 points, or within the published figure where it is wider', async () => {
  const report = await measureRepeatability(engine, (f) => fixture('faces', f), ['obama.jpg', 'biden2.jpg', 'sergey.png'], REDUCED_CHANGES);
  const misses: string[] = [];
  for (const name of [...SCORE_NAMES, 'overall'] as const) {
    const sd = report.benign[name].sd;
    if (sd === null) continue;
    const published = REPEATABILITY.sd[name] ?? 0;
    const limit = Math.max(5, published * 1.5);
    if (sd > limit) misses.push(`${name}: SD ${sd} > ${limit}`);
  }
  assert.deepEqual(misses, [], '\n' + formatTable(report));
  assert.ok((report.benign.monk_tone.max_change ?? 0) <= 1, 'the Monk tone moves by at most one step');
});

test('every score has a measured SD, so every score carries an uncertainty', () => {
  for (const name of [...SCORE_NAMES, 'overall']) assert.equal(typeof REPEATABILITY.sd[name as keyof typeof REPEATABILITY.sd], 'number', name);
});
