/**
 * Timing of all skin measures on one 384×384 face crop (single thread).
 * Run: node --import tsx bench/measures.bench.ts
 * Budget: ≤ 8 ms per crop. Reports min and median of 200 runs after warm-up; on a shared
 * machine the minimum is the better estimate of the uncontended cost.
 */
import { fileURLToPath } from 'node:url';
import { fixtureInput, loadSquareRgb } from '../test/fixtures/measure-masks.ts';
import { measureFace } from '../src/engine/measures/index.ts';
import type { MeasureInput } from '../src/engine/measures/types.ts';

const path = fileURLToPath(new URL('../../shared/fixtures/faces/sergey.png', import.meta.url));
const image = await loadSquareRgb(path, 384);
const template = fixtureInput(image);
const ctx = { faceSizePx: 420, pose: { yaw: 0, pitch: 0, roll: 0 } };

// Fresh mask objects per run, as the pipeline would pass (no per-mask caches hit).
const clone = (m: MeasureInput): MeasureInput => ({
  ...m,
  skin: { ...m.skin, data: new Uint8Array(m.skin.data) },
  regions: Object.fromEntries(Object.entries(m.regions).map(([k, v]) => [k, { ...v, data: new Uint8Array(v.data) }])) as MeasureInput['regions'],
  wrinkleZones: Object.fromEntries(Object.entries(m.wrinkleZones).map(([k, v]) => [k, { ...v, data: new Uint8Array(v.data) }])) as MeasureInput['wrinkleZones'],
});

const RUNS = 200;
const inputs = Array.from({ length: 20 }, () => clone(template));
for (let i = 0; i < 30; i++) measureFace(inputs[i % inputs.length], ctx);
const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const input = clone(template);
  const t0 = performance.now();
  measureFace(input, ctx);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
console.log(`measureFace 384×384: min ${q(0)} ms, median ${q(0.5)} ms, p90 ${q(0.9)} ms (${RUNS} runs)`);
