/**
 * A/B of single stages on one photo: the stage functions of this tree and of `--base` (a second
 * checkout, e.g. `git archive main | tar -x -C tmp/base`) run in alternation on the same inputs, in
 * one process, so both see the same machine load. Prints min / median ms per stage and side.
 *   node --import tsx bench/stages-ab.bench.ts --base tmp/base [--photo obama-1080p.jpg] [--runs 40] [--stage regions] [--clock cpu]
 *   node --import tsx bench/stages-ab.bench.ts --base tmp/base --photo all --stage detect   # one row per face fixture
 *   node --import tsx bench/stages-ab.bench.ts --base tmp/base --stage prepare --clock cpu   # decode → regions, the front half
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { FACES, REPO, faceFixtures } from '../testkit/fixtures.ts';
import { freshMeasureInput } from '../testkit/measure-input.ts';
import type { MeasureInput } from '../src/engine/measures/types.ts';

const { values } = commandLine({
  options: { base: { type: 'string' }, photo: { type: 'string', default: 'obama-1080p.jpg' }, runs: { type: 'string', default: '40' }, stage: { type: 'string' }, clock: { type: 'string', default: 'wall' } },
});
if (!values.base) throw new Error('--base DIR (a second checkout of the engine) is required');
const runs = Number(values.runs);
// `--clock cpu`: the process's CPU time (user + system, getrusage RUSAGE_SELF: every thread of
// the process, so ONNX Runtime's and libvips' native threads count too) instead of wall time,
// which leaves out the time spent waiting for a core on a loaded machine. Nothing else runs in the
// process while a stage is timed, so the difference is that stage's work on every thread.
const cpuClock = values.clock === 'cpu';
const now = () => (cpuClock ? ((u) => (u.user + u.system) / 1000)(process.cpuUsage()) : performance.now());

async function load(root: string) {
  const imp = (p: string) => import(path.join(path.resolve(root), 'src/engine', p));
  const [{ createEngine }, { decodeImage }, { locateLandmarks }, { buildFaceRegions }, { measureFace }, { estimatePose }, { FaceMesh }] = await Promise.all([
    imp('index.ts'), imp('decode/decode.ts'), imp('face/landmarks.ts'), imp('region/skin-regions.ts'), imp('measures/index.ts'), imp('face/pose.ts'), imp('face/facemesh.ts'),
  ]);
  const [{ FaceDetector }, { detectorOptions, FACE_DEFAULTS }] = await Promise.all([imp('face/detector.ts'), imp('face/defaults.ts')]);
  const detector = await FaceDetector.load(detectorOptions({ scoreThreshold: FACE_DEFAULTS.detectionThreshold, intraOpThreads: 1 }));
  return { engine: await createEngine({}), detector, mesh: await FaceMesh.load(), decodeImage, locateLandmarks, buildFaceRegions, measureFace, estimatePose };
}
const sides = { base: await load(values.base), new: await load(REPO) };

type Side = typeof sides.new;
// The measures get fresh mask and image objects every run (as from the pipeline), so no cache
// keyed by an input object survives from one run to the next; made before the clock starts.
const fresh = freshMeasureInput;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const photos = values.photo === 'all' ? faceFixtures() : values.photo.split(',');
console.log(`${runs} alternating runs per stage and photo (min / median ${cpuClock ? 'CPU' : 'wall'} ms)\n| photo | stage | base | new |\n|---|---|---|---|`);
for (const photo of photos) {
  // One set of inputs for both sides: this tree's decode and face.
  const bytes = fs.readFileSync(path.join(FACES, photo));
  const prepared = await sides.new.engine.prepare(bytes);
  const image = prepared.decoded.image;
  const { detection, landmarks } = prepared.face!;
  let input = fresh(prepared.regions!.measure as MeasureInput);
  const stages: Record<string, (s: Side) => unknown> = {
    decode: (s) => s.decodeImage(bytes),
    detect: (s) => s.detector.detect(image),
    landmarks: (s) => s.locateLandmarks(s.mesh, image, detection),
    regions: (s) => s.buildFaceRegions(image, landmarks.points),
    measures: (s) => s.measureFace(input, { faceSizePx: 300, pose: s.estimatePose(landmarks.points) }),
    'models+measures (analyzePrepared)': (s) => s.engine.analyzePrepared({ ...prepared }),
    // The front half in one: decode, detect, landmarks (with the mesh confirmation) and regions.
    'prepare (decode → regions)': (s) => s.engine.prepare(bytes),
  };
  for (const [name, run] of Object.entries(stages).filter(([n]) => !values.stage || n.startsWith(values.stage))) {
    const t: Record<string, number[]> = { base: [], new: [] };
    for (let i = 0; i < runs + 3; i++) {
      for (const side of ['base', 'new'] as const) {
        input = fresh(prepared.regions!.measure as MeasureInput);
        const t0 = now();
        await run(sides[side]);
        if (i >= 3) t[side].push(now() - t0);
      }
    }
    const cell = (xs: number[]) => `${Math.min(...xs).toFixed(2)} / ${quantile(xs, 0.5).toFixed(2)}`;
    console.log(`| ${photo} | ${name} | ${cell(t.base)} | ${cell(t.new)} |`);
  }
}
for (const s of Object.values(sides)) {
  await s.mesh.close();
  await s.detector.close();
}
await Promise.all([sides.base.engine.close(), sides.new.engine.close()]);
