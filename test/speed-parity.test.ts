/**
 * Speed never changes a result beyond a documented tolerance (issue #14): every face fixture
 * (and one close-up) is analysed and compared, field by field, with test/data/speed-snapshot.json,
 * taken from main's engine before the speed work (scripts/speed-snapshot.ts). It guards the
 * changes made since its last re-take, not every change ever: it was re-taken three times on
 * 2026-12-01 (FaceMesh moved from TF.js to ONNX Runtime; the detector's letterbox pass, which
 * changed which model finds the face on 11 fixtures; the new wrinkle measure), each time on the
 * merged engine, and `taken_from` says why. The exact-equality checks of each speed change
 * (the measure and region A/B against main, test/classifier-input, test/facemesh-parity) are
 * what pins those changes; this test pins everything after.
 *
 * Tolerances, by field:
 *   - landmarks, region polygons, face box: 0.5 % of the inter-ocular distance, in pixels
 *     (the landmark accuracy the issue asks of a FaceMesh port);
 *   - head pose: 0.5°;
 *   - region areas (area_px): 2 %;
 *   - scores and summary.overall (0–100): 1 point;
 *   - model probabilities and confidences: 0.01;
 *   - every other number: 0.01 or 2 % of its value, whichever is larger;
 *   - strings, booleans, nulls and the set of fields: exactly equal.
 * A change meant to move results (a new model, a new measure) re-takes the snapshot instead.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { FACES, REPO } from '../testkit/fixtures.ts';

interface Snapshot {
  taken_from: string;
  results: Record<string, Record<string, unknown>>;
}
const snapshot = JSON.parse(fs.readFileSync(path.join(REPO, 'test/data/speed-snapshot.json'), 'utf8')) as Snapshot;

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

type Tolerance = (expected: number) => number;
const IGNORED = new Set(['timings_ms', 'generated_at']);

/** The tolerance of a numeric field, from its path (`a.b[3].c`); `px` is the image-pixel tolerance. */
function toleranceFor(p: string, px: { x: number; y: number; width: number }): Tolerance {
  const xy = (i: number) => () => (i === 0 ? px.x : px.y);
  let m = /^face\.landmarks\[\d+\]\[(\d)\]$/.exec(p);
  if (m) return m[1] === '2' ? () => px.x : xy(Number(m[1]));
  m = /^regions\.\w+\.polygon\[\d+\]\[(\d)\]$/.exec(p);
  if (m) return xy(Number(m[1]));
  if (/^face\.box\./.test(p)) return () => px.x * px.width;
  if (/^face\.pose\./.test(p)) return () => 0.5;
  if (/\.area_px$/.test(p)) return (e) => Math.max(1, 0.02 * Math.abs(e));
  if (/^scores\.\w+\.value$/.test(p) || p === 'summary.overall') return () => 1;
  if (/^ml_analysis\./.test(p) || p === 'confidence' || /^face\.(detection|mesh)_confidence$/.test(p)) return () => 0.01;
  return (e) => Math.max(0.01, 0.02 * Math.abs(e));
}

/** Every difference beyond tolerance, as `path: expected → actual` lines. */
function differences(expected: unknown, actual: unknown, px: { x: number; y: number; width: number }, p = '', out: string[] = []): string[] {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tol = toleranceFor(p, px)(expected);
    if (!(Math.abs(actual - expected) <= tol)) out.push(`${p}: ${expected} → ${actual} (tolerance ${tol.toPrecision(3)})`);
  } else if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) out.push(`${p}: ${expected.length} items → ${actual.length}`);
    else expected.forEach((e, i) => differences(e, actual[i], px, `${p}[${i}]`, out));
  } else if (expected && actual && typeof expected === 'object' && typeof actual === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (IGNORED.has(key) && p === '') continue;
      const sub = p ? `${p}.${key}` : key;
      if (!(key in a)) out.push(`${sub}: missing`);
      else if (!(key in e)) out.push(`${sub}: new field`);
      else differences(e[key], a[key], px, sub, out);
    }
  } else if (expected !== actual) {
    out.push(`${p}: ${JSON.stringify(expected)} → ${JSON.stringify(actual)}`);
  }
  return out;
}

/** 0.5 % of the inter-ocular distance (outer eye corners 33 and 263), in normalised x and y units. */
function pixelTolerance(result: Record<string, unknown>): { x: number; y: number; width: number } {
  const image = result.image as { width: number; height: number };
  const face = result.face as { landmarks: [number, number, number][] } | null;
  if (!face) return { x: 0, y: 0, width: image.width };
  const [r, l] = [face.landmarks[33], face.landmarks[263]];
  const iodPx = Math.hypot((l[0] - r[0]) * image.width, (l[1] - r[1]) * image.height);
  const tolPx = 0.005 * iodPx;
  // Landmarks are rounded to 1e-4 of the side in the result: that rounding is allowed too.
  return { x: tolPx / image.width + 1e-4, y: tolPx / image.height + 1e-4, width: image.width };
}

for (const [key, expected] of Object.entries(snapshot.results)) {
  const closeup = key.startsWith('closeup:');
  const file = closeup ? key.slice('closeup:'.length) : key;
  // snapshot.taken_from says which tree took each entry; it is printed on failure, not in the name.
  test(`${key}: the result agrees with test/data/speed-snapshot.json`, async () => {
    const actual = (await engine.analyze(fs.readFileSync(path.join(FACES, file)), { closeup })) as unknown as Record<string, unknown>;
    const diffs = differences(expected, actual, pixelTolerance(expected));
    assert.deepEqual(diffs.slice(0, 20), [], `${diffs.length} fields differ beyond tolerance from the snapshot (${snapshot.taken_from})`);
  });
}
