/**
 * Side-by-side check that a measures change keeps every result (issue #14): this tree's and
 * `--base`'s (a second checkout, e.g. `git archive main | tar -x -C tmp/base`) measure functions on
 * the same decoded photo, landmarks and masks (this tree's front half):
 *   - measureFace's output, JSON-equal, on every face fixture;
 *   - both wrinkle ridge maps (main: crow's feet, under-eye, nasolabial and cheeks; forehead), every
 *     value, and how many pixels cross the ridge threshold (or lose their support) between the two;
 *   - measureCloseup's output on the measures test's close-up crop of sergey.png and a centred square
 *     crop of every face fixture (skin = the whole crop).
 * Exits 1 on any difference.
 *   node --import tsx bench/measures-parity.ts --base tmp/base
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';
import { freshMeasureInput } from '../testkit/measure-input.ts';
import type { Mask, RgbImage } from '../src/engine/image.ts';
import type { MeasureInput } from '../src/engine/measures/types.ts';
import type { RidgeMap } from '../src/engine/measures/wrinkles.ts';
import { WRINKLE_RIDGE_THRESHOLD } from '../src/engine/measures/wrinkles.ts';
import { createEngine } from '../src/engine/index.ts';

const { values } = commandLine({ options: { base: { type: 'string' } } });
if (!values.base) throw new Error('--base DIR (a second checkout of the engine) is required');

type Modules = typeof import('../src/engine/measures/index.ts') & typeof import('../src/engine/measures/context.ts') &
  typeof import('../src/engine/measures/wrinkles.ts') & typeof import('../src/engine/measures/white-balance.ts');
async function load(root: string): Promise<Modules> {
  const imp = (p: string) => import(path.join(path.resolve(root), 'src/engine/measures', p));
  const parts = await Promise.all(['index.ts', 'context.ts', 'wrinkles.ts', 'white-balance.ts'].map(imp));
  return Object.assign({}, ...parts) as Modules;
}
const sides = { base: await load(values.base), new: await load(REPO) };
const { estimatePose } = await import('../src/engine/face/pose.ts');

/** The two ridge maps measureWrinkles makes, on a context without lent arrays; the support as each side's measureWrinkles passes it. */
function ridgeMaps(m: Modules, input: MeasureInput, skinItself: boolean): RidgeMap[] {
  const wb = m.whiteBalance(input.image, input.skin);
  const ctx = m.createMeasureContext(wb.image, input.skin, input.interOcularPx, [...Object.values(input.regions), ...Object.values(input.wrinkleZones)], null);
  const z = input.wrinkleZones;
  const zoneIdx = m.unionPixels(ctx, Object.values(z).map((mask) => m.pixelsOf(ctx, mask)));
  const inSkin = zoneIdx.every((i) => ctx.skin.data[i] !== 0);
  const support = skinItself && inSkin ? ctx.skin.data : ctx.skin.data.slice();
  if (!inSkin) for (const i of zoneIdx) support[i] = 1;
  const cheeks = m.unionPixels(ctx, [input.regions.left_cheek, input.regions.right_cheek].map((mask) => m.pixelsOf(ctx, mask)));
  const main = m.unionPixels(ctx, [z.crows_feet, z.under_eye, z.nasolabial].map((mask) => m.pixelsOf(ctx, mask)).concat([cheeks]));
  return [m.ridgeResponse(ctx, support, main), m.ridgeResponse(ctx, support, m.pixelsOf(ctx, z.forehead), [1], true)];
}

const engine = await createEngine({});
let differences = 0, compared = 0, differing = 0, flips = 0, maxDiff = 0;
const json = (o: unknown) => JSON.stringify(o);
for (const photo of faceFixtures()) {
  const prepared = await engine.prepare(fs.readFileSync(path.join(FACES, photo)));
  if (prepared.mode !== 'face') {
    console.log(`${photo}: no face`);
    continue;
  }
  const input = prepared.regions.measure as MeasureInput;
  const face = { faceSizePx: 300, pose: estimatePose(prepared.face.landmarks.points) };
  const a = sides.base.measureFace(freshMeasureInput(input), face), b = sides.new.measureFace(freshMeasureInput(input), face);
  const same = json(a) === json(b);
  if (!same) differences++;
  const [mapsA, mapsB] = [ridgeMaps(sides.base, freshMeasureInput(input), false), ridgeMaps(sides.new, freshMeasureInput(input), true)];
  let photoDiffering = 0, photoFlips = 0;
  for (let k = 0; k < mapsA.length; k++) {
    const A = mapsA[k], B = mapsB[k];
    if (A.R.length !== B.R.length || A.x0 !== B.x0 || A.y0 !== B.y0 || A.width !== B.width) {
      differences++;
      console.log(`${photo}: ridge map ${k} laid out differently`);
      continue;
    }
    for (let i = 0; i < A.R.length; i++) {
      const x = A.R[i], y = B.R[i];
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (Number.isNaN(x) !== Number.isNaN(y)) photoFlips++;
        continue;
      }
      compared++;
      if (x > WRINKLE_RIDGE_THRESHOLD !== y > WRINKLE_RIDGE_THRESHOLD) photoFlips++;
      if (x !== y) {
        photoDiffering++;
        maxDiff = Math.max(maxDiff, Math.abs(x - y));
      }
    }
  }
  differing += photoDiffering;
  flips += photoFlips;
  console.log(`${photo}: measureFace ${same ? 'identical' : 'DIFFERS'}; ridge values differing ${photoDiffering}, threshold or support flips ${photoFlips}`);
}
await engine.close();

const crops: { name: string; image: RgbImage }[] = [];
const raw = async (s: ReturnType<typeof sharp>) => {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
};
crops.push({ name: 'sergey.png, the measures test\'s close-up', image: await raw(sharp(path.join(FACES, 'sergey.png')).extract({ left: 140, top: 300, width: 110, height: 90 }).resize(256, 256)) });
for (const photo of faceFixtures()) {
  const meta = await sharp(path.join(FACES, photo)).rotate().toBuffer({ resolveWithObject: true });
  const side = Math.min(meta.info.width, meta.info.height, 300);
  const left = (meta.info.width - side) >> 1, top = (meta.info.height - side) >> 1;
  crops.push({ name: `${photo}, centred ${side}²`, image: await raw(sharp(meta.data).extract({ left, top, width: side, height: side })) });
}
for (const { name, image } of crops) {
  const skin = (): Mask => ({ width: image.width, height: image.height, data: new Uint8Array(image.width * image.height).fill(1) });
  const copy = () => ({ ...image, data: image.data.slice() });
  if (json(sides.base.measureCloseup(copy(), skin())) !== json(sides.new.measureCloseup(copy(), skin()))) {
    differences++;
    console.log(`close-up ${name}: DIFFERS`);
  }
}
console.log(`${crops.length} close-ups compared; ridge values compared ${compared}, differing ${differing} (max |ΔR| ${maxDiff}), threshold or support flips ${flips}; outputs differing: ${differences}`);
process.exit(differences === 0 && flips === 0 ? 0 : 1);
