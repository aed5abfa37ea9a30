/**
 * How the detect stage changes the training crops: for every image of the dataset manifest,
 * whether `skinsight crop --closeup-fallback` makes a face crop (a face was found) or a close-up
 * crop (NO_FACE), with the detect stage before issue #11 (full-range BlazeFace only, no fallback)
 * and as shipped. Prints one row per task/class/source (UTKFace also per group).
 *
 *   node --import tsx scripts/crop-coverage.ts [--datasets ../shared/datasets] [--every N]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine } from '../testkit/command-line.ts';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { FaceMesh } from '../src/engine/face/facemesh.ts';
import { detectorOptions, FACE_DEFAULTS } from '../src/engine/face/defaults.ts';
import { findFaces } from '../src/engine/face/find.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = commandLine({
  options: {
    datasets: { type: 'string', default: path.resolve(REPO, '../shared/datasets') },
    every: { type: 'string', default: '1' },
  },
});
const every = Number(values.every);
if (!Number.isInteger(every) || every < 1) {
  console.error('crop-coverage: --every must be a whole number ≥ 1.');
  process.exit(2);
}
const manifest = path.join(values.datasets, 'MANIFEST.tsv');
if (!fs.existsSync(manifest)) {
  console.error(`crop-coverage: no MANIFEST.tsv in ${values.datasets}.`);
  process.exit(2);
}

const [header, ...rows] = fs.readFileSync(manifest, 'utf8').trim().split('\n');
const col = header.split('\t');
const at = (name: string) => col.indexOf(name);
const load = (shortRange: boolean) => FaceDetector.load(detectorOptions({ shortRange }));
const [shipped, before, mesh] = await Promise.all([load(true), load(false), FaceMesh.load()]);
const base = { detectionThreshold: FACE_DEFAULTS.detectionThreshold, meshThreshold: FACE_DEFAULTS.meshThreshold };

const tally = new Map<string, { n: number; before: number; after: number; gained: number; lost: number }>();
let done = 0;
let unreadable = 0;
for (const [i, row] of rows.entries()) {
  if (i % every) continue;
  const f = row.split('\t');
  const key = `${f[at('task')]}/${f[at('class')]} ${f[at('source')]}${f[at('group_label')] ? ` (${f[at('group_label')]})` : ''}`;
  const t = tally.get(key) ?? { n: 0, before: 0, after: 0, gained: 0, lost: 0 };
  tally.set(key, t);
  let image;
  try {
    image = (await decodeImage(fs.readFileSync(path.join(values.datasets, f[at('file')])))).image;
  } catch {
    unreadable++; // too small or broken: `skinsight crop` refuses it with either detect stage
    continue;
  }
  const was = !!(await findFaces(before, mesh, image, { ...base, fallbackThreshold: null })).chosen;
  const now = !!(await findFaces(shipped, mesh, image, { ...base, fallbackThreshold: FACE_DEFAULTS.fallbackThreshold })).chosen;
  t.n++;
  t.before += +was;
  t.after += +now;
  t.gained += +(now && !was);
  t.lost += +(was && !now);
  if (process.stderr.isTTY && ++done % 50 === 0) process.stderr.write(`\r${done}`);
}
await mesh.close();
await Promise.all([shipped.close(), before.close()]);

console.log('| task/class source | images | face crops before | face crops now | gained | lost |');
console.log('| --- | --- | --- | --- | --- | --- |');
const sum = { n: 0, before: 0, after: 0, gained: 0, lost: 0 };
for (const [key, t] of [...tally].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`| ${key} | ${t.n} | ${t.before} | ${t.after} | ${t.gained} | ${t.lost} |`);
  for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += t[k];
}
console.log(`| all | ${sum.n} | ${sum.before} | ${sum.after} | ${sum.gained} | ${sum.lost} |`);
console.log(`\n${unreadable} images not decodable (under 64 px or broken), left out.`);
