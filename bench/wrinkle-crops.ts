/**
 * Exploratory probe of issue #13 §4's second route (a learned wrinkle head on the classifier's
 * backbone): writes the engine's aligned face crops of one UTKFace half and, per crop, the
 * region weights of the wrinkle parts on the backbone's 12×12 grid, for training/wrinkle_probe.py.
 *
 *   node --import tsx bench/wrinkle-crops.ts [--half validation]     # → tmp/wrinkle-crops/<half>.{u8,w.f32,json}
 *
 * Crops: the engine's own preparation (engine.prepare: decode, face, landmarks, the 384-px aligned
 * crop), RGB bytes, one after the other. Weights: for each of forehead, crow's feet, under-eye,
 * nasolabial, cheeks and the whole skin mask, the mask's pixel count per 32-px cell of the 384-px
 * crop (= one 16-px cell of the 192-px model input: training/backbone/multi.py's finest grid),
 * normalised to sum 1 (so pooling is a mean over the part). tmp/ is git-ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { createEngine } from '../src/engine/index.ts';
import type { Mask } from '../src/engine/image.ts';
import { WRINKLE_ZONES } from '../src/engine/measures/types.ts';
import { halfOf, parsePortrait } from './validity.ts';

const DIR = path.resolve(import.meta.dirname, '../../shared/datasets/conditions/normal');
const SIDE = 384, GRID = 12, CELL = SIDE / GRID;
const { values } = commandLine({ options: { half: { type: 'string', default: 'validation' } } });
const portraits = fs
  .readdirSync(DIR)
  .map(parsePortrait)
  .filter((p) => p !== null && p.age >= 16 && p.age <= 60 && halfOf(p.file) === values.half)
  .sort((a, b) => (a!.file < b!.file ? -1 : 1));
const engine = await createEngine({});
const out = 'tmp/wrinkle-crops';
fs.mkdirSync(out, { recursive: true });
const meta: { file: string; age: number; race: string }[] = [];
const crops: Buffer[] = [];
const weights: number[] = [];
for (const p of portraits) {
  let prepared;
  try {
    prepared = await engine.prepare(new Uint8Array(fs.readFileSync(path.join(DIR, p!.file))));
  } catch {
    continue;
  }
  if (prepared.mode !== 'face') continue;
  const m = prepared.regions.measure;
  if (m.image.width !== SIDE || m.image.height !== SIDE) throw new Error(`crop ${m.image.width}×${m.image.height}, expected ${SIDE}²`);
  const parts: Mask[][] = [...WRINKLE_ZONES.map((z) => [m.wrinkleZones[z]]), [m.regions.left_cheek, m.regions.right_cheek], [m.skin]];
  for (const masks of parts) {
    const cell = new Float64Array(GRID * GRID);
    for (const mask of masks) {
      for (let i = 0; i < SIDE * SIDE; i++) if (mask.data[i]) cell[Math.floor(i / SIDE / CELL) * GRID + Math.floor((i % SIDE) / CELL)] += 1;
    }
    const total = cell.reduce((a, b) => a + b, 0) || 1;
    for (const c of cell) weights.push(c / total);
  }
  crops.push(Buffer.from(m.image.data.buffer, m.image.data.byteOffset, SIDE * SIDE * 3));
  meta.push({ file: p!.file, age: p!.age, race: p!.race });
}
await engine.close();
fs.writeFileSync(`${out}/${values.half}.u8`, Buffer.concat(crops));
fs.writeFileSync(`${out}/${values.half}.w.f32`, Buffer.from(new Float32Array(weights).buffer));
fs.writeFileSync(`${out}/${values.half}.json`, JSON.stringify(meta));
console.log(`${meta.length} crops → ${out}/${values.half}.*`);
