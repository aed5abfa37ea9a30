/**
 * Shadow mode's numbers, from rows fed straight to the pure aggregation (src/service/analytics.ts):
 * how often a candidate agrees with the live model on the same completed scans.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreement, aggregate, parseShadow, type AnalyticsRow } from '../src/service/analytics.ts';

const live = { name: 'acne', version: '1.0.0', task: 'acne_binary' };

function row(status: string, liveLabel: string, shadowLabel: string | null, version = '2.0.0'): AnalyticsRow {
  return {
    status,
    created_at: '2026-01-01T10:00:00.000Z',
    uploaded_at: '2026-01-01T10:00:00.000Z',
    completed_at: status === 'completed' ? '2026-01-01T10:00:01.000Z' : null,
    error_code: status === 'failed' ? 'NO_FACE' : null,
    result: status === 'completed' ? { models: [live], timings_ms: { total: 50 }, classes: { acne: liveLabel } } : null,
    shadow: [{ task: 'acne_binary', name: 'acne', version, label: shadowLabel }],
  };
}

test('agreement: per (task, live, shadow) pair, the share of completed scans with the same label', () => {
  const rows = [row('completed', 'acne', 'acne'), row('completed', 'acne', 'no_acne'), row('completed', 'no_acne', 'no_acne'), row('completed', 'acne', 'acne', '3.0.0')];
  const pairs = agreement(rows).sort((a, b) => a.shadow.localeCompare(b.shadow));
  assert.deepEqual(pairs, [
    { task: 'acne_binary', live: 'acne@1.0.0', shadow: 'acne@2.0.0', n: 3, agree: 2, rate: 0.6667, shadow_classes: { acne: 1, no_acne: 2 } },
    { task: 'acne_binary', live: 'acne@1.0.0', shadow: 'acne@3.0.0', n: 1, agree: 1, rate: 1, shadow_classes: { acne: 1 } },
  ]);
});

test('agreement ignores failed scans, candidates without a label and tasks the live result lacks', () => {
  const noLive = row('completed', 'acne', 'acne');
  noLive.shadow = [{ task: 'skin_condition', name: 'cond', version: '2.0.0', label: 'acne' }];
  assert.deepEqual(agreement([row('failed', 'acne', 'acne'), row('completed', 'acne', null), noLive]), []);
});

test('the dashboard carries the agreement beside the per-version stats', () => {
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date('2026-01-02T00:00:00Z');
  const a = aggregate([row('completed', 'acne', 'acne'), row('failed', 'acne', 'acne')], from, to);
  assert.equal(a.hours, 24);
  assert.equal(a.total_scans, 2);
  assert.equal(a.agreement.length, 1);
  assert.deepEqual(a.versions.map((v) => [v.version, v.scans]).sort(), [['acne@1.0.0', 1], ['no result (failed before the models ran)', 1]]);
});

test('stored shadow predictions that are not a JSON array read as none', () => {
  assert.equal(parseShadow(null), null);
  assert.equal(parseShadow('{"task":"x"}'), null);
  assert.equal(parseShadow('not json'), null);
  assert.deepEqual(parseShadow('[{"task":"acne_binary","name":"a","version":"1","label":"acne"}]'), [{ task: 'acne_binary', name: 'a', version: '1', label: 'acne' }]);
});
