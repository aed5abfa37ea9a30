/**
 * The web app's pure helpers, in Node: likelihood words, percentages that never claim
 * certainty, the overlay's tint strength, label placement without overlaps, the Monk range, the
 * summary's advice about the condition model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ALPHA, strength } from '../web/src/lib/concerns.ts';
import { pct, shortDateTime } from '../web/src/lib/format.ts';
import { gapTo, LabelPlacer, overlaps } from '../web/src/lib/labels.ts';
import { likelihood } from '../web/src/lib/likelihood.ts';
import { monkRange } from '../web/src/lib/monk.ts';
import { BAND_SEGMENTS } from '../web/src/lib/bands.ts';
import { professionalAdvice } from '../web/src/lib/professional.ts';
import { forgetKeepsPhoto, keepsPhoto, setKeepsPhoto } from '../web/src/lib/keep-photo.ts';
import type { AnalysisResult } from '../src/engine/api.ts';
import fs from 'node:fs';
import path from 'node:path';

test('model probabilities read as likelihood words at the IPCC edges', () => {
  assert.equal(likelihood(0), 'unlikely');
  assert.equal(likelihood(0.329), 'unlikely');
  assert.equal(likelihood(0.33), 'possible');
  assert.equal(likelihood(0.659), 'possible');
  assert.equal(likelihood(0.66), 'likely');
  assert.equal(likelihood(0.899), 'likely');
  assert.equal(likelihood(0.9), 'very likely');
  assert.equal(likelihood(1), 'very likely');
});

test('a percentage never reads "100 %" or "0 %" for a near-certain value', () => {
  assert.equal(pct(1), '> 99 %');
  assert.equal(pct(0.996), '> 99 %');
  assert.equal(pct(0.994), '99 %');
  assert.equal(pct(0.004), '< 1 %');
  assert.equal(pct(0), '0 %');
  assert.equal(pct(0.5), '50 %');
});

test('axis labels carry the time, so two scans of one day differ', () => {
  assert.notEqual(shortDateTime('2026-12-01T09:05:00Z'), shortDateTime('2026-12-01T10:40:00Z'));
  assert.match(shortDateTime('2026-12-01T09:05:00Z'), /\d{1,2}:\d{2}/);
});

test('the tint strength follows the score: none at 100, strongest at 0, monotonic', () => {
  assert.equal(strength(100), 0);
  assert.equal(strength(0), MAX_ALPHA);
  let last = -1;
  for (let s = 100; s >= 0; s -= 5) {
    assert.ok(strength(s) > last || s === 100);
    last = strength(s);
  }
  assert.equal(strength(130), 0);
  assert.equal(strength(-5), MAX_ALPHA);
});

test('the band segments tile 0–100 without gaps, low to high', () => {
  assert.equal(BAND_SEGMENTS[0]!.from, 0);
  assert.equal(BAND_SEGMENTS.at(-1)!.to, 100);
  for (let i = 1; i < BAND_SEGMENTS.length; i++) assert.equal(BAND_SEGMENTS[i]!.from, BAND_SEGMENTS[i - 1]!.to);
  assert.deepEqual(BAND_SEGMENTS.map((s) => s.band), ['bad', 'poor', 'average', 'good', 'great', 'excellent']);
});

test('labels crowded on one spot are spread out or left out, never drawn over each other', () => {
  const placer = new LabelPlacer();
  const bounds = { x: 0, y: 0, w: 400, h: 400 };
  let placed = 0;
  for (let i = 0; i < 40; i++) if (placer.place(200 + (i % 3), 200 + (i % 5), 90, 20, bounds)) placed++;
  assert.ok(placed >= 8, `${placed} placed`);
  assert.ok(placed < 40, 'some are left out');
  const r = placer.placed;
  for (let i = 0; i < r.length; i++) {
    for (let j = i + 1; j < r.length; j++) assert.ok(!overlaps(r[i]!, r[j]!), `${i} and ${j} overlap`);
    assert.ok(r[i]!.x >= 0 && r[i]!.y >= 0 && r[i]!.x + r[i]!.w <= 400 && r[i]!.y + r[i]!.h <= 400, 'inside the bounds');
  }
});

test('a label stays within its gap of its area, or is left out: never pushed far away', () => {
  const placer = new LabelPlacer();
  const bounds = { x: 0, y: 0, w: 1000, h: 800 };
  // A small face's areas, a few pixels apart (an unzoomed photo): 12 labels of 90×20 want them.
  const areas = Array.from({ length: 12 }, (_, i) => ({ x: 500 + (i % 4) * 8, y: 300 + Math.floor(i / 4) * 8, w: 10, h: 10 }));
  const maxGap = 30;
  let placed = 0;
  for (const a of areas) {
    const r = placer.place(a.x + a.w / 2, a.y + a.h / 2, 90, 20, bounds, a, maxGap);
    if (!r) continue;
    placed++;
    assert.ok(gapTo(a, r.x + r.w / 2, r.y + r.h / 2) <= maxGap, `label ${JSON.stringify(r)} is ${gapTo(a, r.x + r.w / 2, r.y + r.h / 2).toFixed(0)} px from its area`);
  }
  // Centres within 30 px of a 34×26 cluster leave room for one column of three 20-px rows.
  assert.ok(placed >= 3, `${placed} placed`);
  assert.ok(placed < 12, 'the rest are left out');
  for (let i = 0; i < placer.placed.length; i++) for (let j = i + 1; j < placer.placed.length; j++) assert.ok(!overlaps(placer.placed[i]!, placer.placed[j]!));
  assert.equal(gapTo({ x: 0, y: 0, w: 10, h: 10 }, 5, 5), 0);
  assert.equal(gapTo({ x: 0, y: 0, w: 10, h: 10 }, 13, 14), 5);
});

test('the Monk range spans the regions and always holds the estimate', () => {
  const tone = {
    available: true as const,
    ita_deg: 30,
    category: 'intermediate' as const,
    monk_tone: 4,
    monk_hex: '#eadaba',
    fitzpatrick: 'III' as const,
    lab: { L: 68, a: 12, b: 20 },
    hex: '#c9a58a',
    per_region: { forehead: 45, left_cheek: 30, right_cheek: 31, nose: 5, chin: null, under_eye_left: null, under_eye_right: null },
    reliable: true,
    warnings: [],
  };
  const r = monkRange(tone);
  assert.ok(r.from <= 4 && r.to >= 4);
  assert.ok(r.to > r.from, 'a dark nose and a light forehead widen the range');
  const flat = monkRange({ ...tone, per_region: { ...tone.per_region, forehead: null, nose: null, left_cheek: null, right_cheek: null } });
  assert.deepEqual(flat, { from: 4, to: 4 });
});

test('the summary refers to a dermatologist only when the engine does; on a poor photo with a finding it asks for a retake', () => {
  // A real result (obama.jpg, the speed snapshot), its condition answer edited.
  const snapshot = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'data/speed-snapshot.json'), 'utf8')) as { results: Record<string, AnalysisResult> };
  const base = snapshot.results['obama.jpg']!;
  const edit = (rosacea: number, reliable: boolean, see: boolean): AnalysisResult => {
    const r = structuredClone(base);
    const c = r.ml_analysis.condition_analysis;
    assert.ok(c.available);
    c.probabilities = { normal: 1 - rosacea - 0.02, acne: 0.01, rosacea, eczema: 0.005, pigmentation: 0.005 };
    c.reliable = reliable;
    r.summary.see_a_professional = see;
    return r;
  };
  assert.match(professionalAdvice(edit(0.6, true, true)) ?? '', /rosacea possible: consider showing your skin to a dermatologist/);
  assert.match(professionalAdvice(edit(0.52, false, false)) ?? '', /rosacea possible, but this photo's quality is too low .* retake/);
  assert.equal(professionalAdvice(edit(0.1, false, false)), null, 'nothing found: no advice');
  assert.equal(professionalAdvice(edit(0.45, true, false)), null, 'a reliable answer below the engine level: no advice');
});

test('"keep my photo" is remembered per account, forgotten with it, and an old browser-wide value is nobody\'s', () => {
  const store = new Map<string, string>();
  const fake = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
  Object.assign(globalThis, { localStorage: fake });
  try {
    store.set('skinsight.storeImage', 'true'); // before it was per account
    assert.equal(keepsPhoto('a@example.org'), false);
    setKeepsPhoto('A@example.org', true);
    assert.equal(keepsPhoto('a@example.org'), true, 'e-mails compare without case');
    assert.equal(keepsPhoto('b@example.org'), false, 'another account starts with it off');
    setKeepsPhoto('b@example.org', true);
    setKeepsPhoto('b@example.org', false);
    assert.equal(keepsPhoto('b@example.org'), false);
    setKeepsPhoto('b@example.org', true);
    forgetKeepsPhoto('b@example.org');
    assert.doesNotMatch(store.get('skinsight.storeImage') ?? '', /b@example/);
    assert.equal(keepsPhoto('a@example.org'), true);
    forgetKeepsPhoto('a@example.org');
    assert.equal(store.has('skinsight.storeImage'), false, 'nothing left once nobody opted in');
  } finally {
    delete (globalThis as { localStorage?: unknown }).localStorage;
  }
});
