/**
 * Offline cache of per-face wrinkle features for the UTKFace portraits (issue #13 §4), so that
 * combinations of ridge statistics can be compared against age in seconds each.
 *
 *   node --import tsx bench/wrinkle-features.ts [--half validation|test|all] [--shard 0/2] [--out tmp/wrinkle-features.jsonl]
 *
 * Per face it runs the engine's own preparation (decode, face, landmarks, aligned crop and
 * masks), the same white balance and measure context as measures/index.ts measureFace, and then
 * ridgeResponse (measures/wrinkles.ts) per part (the four zones and the cheeks) at several scale
 * sets, both orientations, a low threshold, plus L* statistics of the part. Also the shipped
 * measure's densities, to check the cache against `npm run validity`'s raw densities.
 * One JSON line per face; tmp/ is git-ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { createEngine } from '../src/engine/index.ts';
import { createMeasureContext, pixelsOf, unionPixels } from '../src/engine/measures/context.ts';
import { whiteBalance } from '../src/engine/measures/white-balance.ts';
import { measureWrinkles, ridgeResponse } from '../src/engine/measures/wrinkles.ts';
import { WRINKLE_ZONES } from '../src/engine/measures/types.ts';
import { halfOf, parsePortrait } from './validity.ts';
import { landmarkBox } from '../src/engine/face/landmarks.ts';

const DIR = path.resolve(import.meta.dirname, '../../shared/datasets/conditions/normal');
const SCALE_SETS: Record<string, number[]> = { s1: [1], s2: [2], s3: [3], s12: [1, 2], s4: [4], s6: [6], s8: [8] };
const THRESHOLDS = [0.5, 1, 1.5, 2, 3];

const { values } = commandLine({ options: { half: { type: 'string', default: 'all' }, shard: { type: 'string', default: '0/1' }, out: { type: 'string', default: 'tmp/wrinkle-features.jsonl' } } });
const [shard, shards] = values.shard.split('/').map(Number);
const portraits = fs
  .readdirSync(DIR)
  .map(parsePortrait)
  .filter((p) => p !== null && p.age >= 16 && p.age <= 60 && (values.half === 'all' || halfOf(p.file) === values.half))
  .sort((a, b) => (a!.file < b!.file ? -1 : 1))
  .filter((_, i) => i % shards === shard);
const engine = await createEngine({});
fs.mkdirSync(path.dirname(values.out), { recursive: true });
const out = fs.createWriteStream(values.out);
const t0 = performance.now();
for (const [k, p] of portraits.entries()) {
  const bytes = fs.readFileSync(path.join(DIR, p!.file));
  let prepared;
  try {
    prepared = await engine.prepare(new Uint8Array(bytes));
  } catch {
    continue;
  }
  if (prepared.mode !== 'face') continue;
  const input = prepared.regions.measure;
  const r = input.regions;
  const extra = [...Object.values(r), ...Object.values(input.wrinkleZones)];
  const wb = whiteBalance(input.image, input.skin);
  const mc = createMeasureContext(wb.image, input.skin, input.interOcularPx, extra, null);
  const shipped = measureWrinkles(mc, input.wrinkleZones, [r.left_cheek, r.right_cheek]);
  const parts: Record<string, Int32Array> = {};
  for (const z of WRINKLE_ZONES) parts[z] = pixelsOf(mc, input.wrinkleZones[z]);
  parts.cheeks = unionPixels(mc, [pixelsOf(mc, r.left_cheek), pixelsOf(mc, r.right_cheek)]);
  const support = mc.skin.data.slice();
  for (const z of WRINKLE_ZONES) for (const i of parts[z]) support[i] = 1;
  const f: Record<string, number> = {};
  const w = mc.image.width;
  for (const [name, idx] of Object.entries(parts)) {
    for (const [sn, ss] of Object.entries(SCALE_SETS)) {
      for (const horiz of [false, true]) {
        const map = ridgeResponse(mc, support, idx, ss, horiz, 0.25);
        const v: number[] = [];
        for (const i of idx) {
          const y = (i / w) | 0;
          const x = map.R[(y - map.y0) * map.width + i - y * w - map.x0];
          if (!Number.isNaN(x)) v.push(x);
        }
        if (v.length === 0) continue;
        v.sort((a, b) => a - b);
        const key = `${name}.${sn}.${horiz ? 'h' : 'a'}`;
        for (const t of THRESHOLDS) f[`${key}.d${t}`] = v.filter((x) => x > t).length / v.length;
        f[`${key}.mean`] = v.reduce((s, x) => s + x, 0) / v.length;
        f[`${key}.p90`] = v[Math.floor(0.9 * (v.length - 1))];
        f[`${key}.p97`] = v[Math.floor(0.97 * (v.length - 1))];
      }
    }
    const L = Array.from(idx, (i) => mc.lab.L[i]).sort((a, b) => a - b);
    const mean = L.reduce((s, x) => s + x, 0) / L.length;
    f[`${name}.Lmean`] = mean;
    f[`${name}.Lsd`] = Math.sqrt(L.reduce((s, x) => s + (x - mean) ** 2, 0) / L.length);
    f[`${name}.Liqr`] = L[Math.floor(0.75 * (L.length - 1))] - L[Math.floor(0.25 * (L.length - 1))];
  }
  const box = landmarkBox(prepared.face.landmarks.points);
  f.faceSizePx = Math.max(box.width, box.height) / prepared.decoded.scale;
  f.iodPx = input.interOcularPx;
  out.write(JSON.stringify({ file: p!.file, age: p!.age, race: p!.race, half: halfOf(p!.file), shipped, f }) + '\n');
  if ((k + 1) % 50 === 0) process.stderr.write(`${k + 1}/${portraits.length} ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
out.end();
await engine.close();
process.stderr.write(`done ${portraits.length} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
