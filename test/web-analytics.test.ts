/**
 * The dashboard's numbers, from rows fed straight to the aggregation: per-version grouping,
 * hourly buckets, nearest-rank percentiles, failure reasons and class counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, CV_ONLY_VERSION, NO_RESULT_VERSION, slim, summarise, type AnalyticsRow } from '../src/service/analytics.ts';
import { trendScores } from '../src/service/trends.ts';

function result(models: { name: string; version: string }[], total: number, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    models,
    timings_ms: { detect: total / 4, total },
    confidence: 0.9,
    ml_analysis: {
      acne_analysis: models.length ? { available: true, label: 'acne', probabilities: { acne: 0.8, no_acne: 0.2 } } : { available: false, reason: 'no model' },
      condition_analysis: { available: false, reason: 'no model' },
    },
    cv_analysis: {
      skin_type: { available: true, type: 'oily' },
      skin_tone: { available: true, monk_tone: 5 },
      redness: { available: true, score: 0.3 },
      wrinkles: { available: false, reason: 'too small' },
      dark_circles: { available: true, severity: 0.1 },
      texture_quality: null,
    },
    quality: { passed: true },
    ...extra,
  });
}

const A = [{ name: 'acne', version: '1.0.0' }];
const B = [{ name: 'acne', version: '2.0.0' }];

function row(status: string, at: string, resultJson: string | null, error: string | null = null): AnalyticsRow {
  return { status, created_at: at, uploaded_at: at, completed_at: status === 'pending' ? null : at, error_code: error, result: slim(resultJson) };
}

test('percentiles are nearest-rank', () => {
  const p = summarise(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual({ p50: p.p50, p90: p.p90, p99: p.p99, max: p.max, n: p.n }, { p50: 50, p90: 90, p99: 99, max: 100, n: 100 });
  assert.equal(summarise([]).p50, 0);
});

test('scans are grouped per model version, with hours, latencies, failures and classes', () => {
  const rows = [
    row('completed', '2026-01-01T10:05:00.000Z', result(A, 100)),
    row('completed', '2026-01-01T10:55:00.000Z', result(A, 300)),
    row('completed', '2026-01-01T11:10:00.000Z', result(B, 50)),
    row('completed', '2026-01-01T11:20:00.000Z', result([], 40)),
    row('failed', '2026-01-01T11:30:00.000Z', null, 'NO_FACE'),
    row('failed', '2026-01-01T11:31:00.000Z', null, 'NO_FACE'),
    row('failed', '2026-01-01T11:32:00.000Z', null, 'CORRUPT_IMAGE'),
    row('processing', '2026-01-01T11:40:00.000Z', null),
  ];
  const a = aggregate(rows, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
  assert.equal(a.total_scans, 8);
  assert.equal(a.hours, 24);
  const by = Object.fromEntries(a.versions.map((v) => [v.version, v]));
  const va = by['acne@1.0.0']!;
  assert.equal(va.completed, 2);
  assert.deepEqual(va.per_hour, [{ hour: '2026-01-01T10:00:00Z', completed: 2, failed: 0 }]);
  assert.equal(va.latency_ms.total!.p50, 100);
  assert.equal(va.latency_ms.total!.p99, 300);
  assert.deepEqual(va.classes.acne, { acne: 2 });
  assert.deepEqual(va.classes.condition, { unavailable: 2 });
  assert.deepEqual(va.classes.monk_tone, { 5: 2 });
  assert.equal(by['acne@2.0.0']!.completed, 1);
  assert.deepEqual(by[CV_ONLY_VERSION]!.classes.acne, { unavailable: 1 });
  const failed = by[NO_RESULT_VERSION]!;
  assert.deepEqual(failed.failures, [{ code: 'NO_FACE', count: 2 }, { code: 'CORRUPT_IMAGE', count: 1 }]);
  assert.equal(by['in flight']!.in_flight, 1);
});

test('unreadable or partial results never throw', () => {
  assert.equal(slim('{not json'), null);
  assert.equal(slim(null), null);
  assert.deepEqual(slim('{}')!.classes, { acne: 'unavailable', condition: 'unavailable', skin_type: 'unavailable', monk_tone: 'unavailable', quality: 'warnings' });
});

test('trend scores take values only from available parts', () => {
  assert.deepEqual(trendScores(result(A, 1)), { confidence: 0.9, acne: 0.8, redness: 0.3, wrinkles: null, dark_circles: 0.1, texture: null });
  assert.deepEqual(trendScores(null), { confidence: null, acne: null, redness: null, wrinkles: null, dark_circles: null, texture: null });
});
