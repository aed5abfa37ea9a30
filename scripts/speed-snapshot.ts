/**
 * `node --import tsx scripts/speed-snapshot.ts`: writes test/data/speed-snapshot.json, the engine's
 * results on every face fixture (plus one close-up), without the timings and the date.
 * Taken from main's code before the speed work of issue #14 (re-taken when FaceMesh moved to ONNX
 * Runtime: a port within 0.03 px still moves classifier outputs); test/speed-parity.test.ts compares
 * today's results with it under documented tolerances. Re-take it only when a result is meant to change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../src/engine/index.ts';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';

const engine = await createEngine({});
const results: Record<string, unknown> = {};
for (const name of faceFixtures()) {
  const r = await engine.analyze(fs.readFileSync(path.join(FACES, name)));
  results[name] = strip(r);
}
results['closeup:obama.jpg'] = strip(await engine.analyze(fs.readFileSync(path.join(FACES, 'obama.jpg')), { closeup: true }));
await engine.close();

function strip(r: Record<string, unknown> | object): unknown {
  const { timings_ms: _t, generated_at: _g, ...rest } = r as Record<string, unknown>;
  return rest;
}
const out = path.join(REPO, 'test/data/speed-snapshot.json');
fs.writeFileSync(out, JSON.stringify({ taken_from: process.argv[2] ?? 'main', results }) + '\n');
console.log(`wrote ${out}`);
