/**
 * A/B of cropRoi alone (issue #14, "Aligned crops"): this tree's and `--base`'s geometry.ts cut the
 * same crops of the same photo in alternation, in one process; first the bytes are compared (they
 * must be equal), then min / median ms per crop are printed. The crops are the pipeline's: the final
 * FaceMesh ROI (192²) and the measure crop's (384²), from this tree's `prepare`, plus the FaceMesh
 * crop at 1–4 taps (`--taps`, the ROI's side scaled to MESH_INPUT × taps + 10).
 *   node --import tsx bench/crop-ab.bench.ts --base tmp/base [--photo obama-1080p.jpg,biden2.jpg] [--runs 200] [--clock cpu]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, REPO } from '../testkit/fixtures.ts';
import type { Roi } from '../src/engine/face/geometry.ts';
import type { RgbImage } from '../src/engine/image.ts';

const { values } = commandLine({
  options: { base: { type: 'string' }, photo: { type: 'string', default: 'obama-1080p.jpg' }, runs: { type: 'string', default: '200' }, clock: { type: 'string', default: 'wall' }, taps: { type: 'boolean', default: false } },
});
if (!values.base) throw new Error('--base DIR (a second checkout of the engine) is required');
const runs = Number(values.runs);
const cpuClock = values.clock === 'cpu';
const now = () => (cpuClock ? ((u) => (u.user + u.system) / 1000)(process.cpuUsage()) : performance.now());
type Crop = (src: RgbImage, roi: Roi, outSize: number, out?: Uint8Array) => RgbImage;
const cropOf = async (root: string): Promise<Crop> => (await import(path.join(path.resolve(root), 'src/engine/face/geometry.ts'))).cropRoi;
const sides = { base: await cropOf(values.base), new: await cropOf(REPO) };

const { createEngine } = await import('../src/engine/index.ts');
const { alignedFaceRoi, MEASURE_CROP } = await import('../src/engine/region/face-skin.ts');
const { MESH_INPUT } = await import('../src/engine/face/mesh-model.ts');
const engine = await createEngine({});
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
console.log(`${runs} alternating runs per crop (min / median ${cpuClock ? 'CPU' : 'wall'} ms)\n| photo | crop | taps | base | new |\n|---|---|---|---|---|`);
for (const photo of values.photo.split(',')) {
  const prepared = await engine.prepare(fs.readFileSync(path.join(FACES, photo)));
  if (prepared.mode !== 'face') throw new Error(`${photo}: no face`);
  const image = prepared.decoded.image;
  const mesh = prepared.face.landmarks.roi;
  const crops: Array<[string, Roi, number]> = [['mesh', mesh, MESH_INPUT], ['measure', alignedFaceRoi(prepared.face.landmarks.points), MEASURE_CROP]];
  if (values.taps) for (const t of [1, 2, 3, 4]) crops.push([`mesh at ${t} taps`, { ...mesh, size: MESH_INPUT * t + 10 }, MESH_INPUT]);
  for (const [name, roi, size] of crops) {
    const a = sides.base(image, roi, size).data, b = sides.new(image, roi, size).data;
    if (!a.every((v, i) => v === b[i])) throw new Error(`${photo} ${name}: the crops differ`);
    const bufs = { base: new Uint8Array(size * size * 3), new: new Uint8Array(size * size * 3) };
    const t: Record<'base' | 'new', number[]> = { base: [], new: [] };
    for (let i = 0; i < runs + 5; i++) {
      for (const side of ['base', 'new'] as const) {
        const t0 = now();
        sides[side](image, roi, size, bufs[side]);
        if (i >= 5) t[side].push(now() - t0);
      }
    }
    const cell = (xs: number[]) => `${Math.min(...xs).toFixed(3)} / ${quantile(xs, 0.5).toFixed(3)}`;
    console.log(`| ${photo} | ${name} ${size}² | ${Math.max(1, Math.min(4, Math.floor(roi.size / size)))} | ${cell(t.base)} | ${cell(t.new)} |`);
  }
}
await engine.close();
