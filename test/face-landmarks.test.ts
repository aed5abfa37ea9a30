/**
 * Landmark and pose quality on tight face crops, as metamorphic tests (issue #11): the photo is
 * changed in a way whose effect on the face is known, and the landmarks must follow.
 *  - A horizontal flip mirrors the landmarks: normalised mean error ≤ 2 % of the inter-ocular
 *    distance (outer eye corners 33–263), against the mirrored original.
 *  - A black border of 10 % of the long side moves no landmark by more than 1 % of the long side.
 *  - A crop 10 % tighter around the face still finds it.
 *  - Yaw, pitch and roll stay within ±5° under all three (a flip negates yaw and roll).
 * Subjects: the tight-crop fixtures and two UTKFace portraits per group (200 px aligned crops).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { estimatePose } from '../src/engine/face/pose.ts';
import { MESH_MIRROR } from '../src/engine/face/mirror.ts';
import { GROUPS, portraits } from '../scripts/detection-fairness.ts';
import { FACES, REPO } from '../testkit/fixtures.ts';

const DATASETS = path.resolve(REPO, '../shared/datasets');
const POINTS = 468;

interface Located {
  /** Landmarks in original-photo pixels. */
  points: Float32Array;
  pose: { yaw: number; pitch: number; roll: number };
}

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

async function locate(bytes: Buffer): Promise<Located> {
  const prepared = await engine.prepare(bytes);
  assert.ok(prepared.mode === 'face', 'a face');
  const { points } = prepared.face.landmarks;
  const scaled = new Float32Array(points.length);
  for (let i = 0; i < points.length; i++) scaled[i] = points[i] / prepared.decoded.scale;
  return { points: scaled, pose: estimatePose(points) };
}

const pt = (p: Float32Array, i: number) => ({ x: p[i * 3], y: p[i * 3 + 1] });
const interOcular = (p: Float32Array) => Math.hypot(pt(p, 263).x - pt(p, 33).x, pt(p, 263).y - pt(p, 33).y);

function assertPoseNear(a: Located['pose'], b: Located['pose'], what: string): void {
  for (const k of ['yaw', 'pitch', 'roll'] as const) assert.ok(Math.abs(a[k] - b[k]) <= 5, `${what}: ${k} ${a[k]}° vs ${b[k]}°`);
}

const subjects: Array<{ name: string; file: string }> = [
  { name: 'sergey.png', file: path.join(FACES, 'sergey.png') },
  { name: 'biden2.jpg', file: path.join(FACES, 'biden2.jpg') },
  ...GROUPS.flatMap((g) => portraits(DATASETS)[g].filter((_, i) => i % 60 === 7).map((f) => ({ name: `${g} ${path.basename(f).slice(9, 22)}`, file: path.join(DATASETS, f) }))),
];

describe('landmarks on tight crops', () => {
  for (const { name, file } of subjects) {
    test(`${name}: flip, border and a tighter crop move the landmarks and pose as the photo moved`, async (t) => {
      const bytes = fs.readFileSync(file);
      const { width = 0, height = 0 } = await sharp(bytes).metadata();
      const base = await locate(bytes);
      const iod = interOcular(base.points);

      const flipped = await locate(await sharp(bytes).flop().png().toBuffer());
      let flipError = 0;
      for (let j = 0; j < POINTS; j++) {
        const i = MESH_MIRROR[j];
        flipError += Math.hypot(flipped.points[j * 3] - (width - base.points[i * 3]), flipped.points[j * 3 + 1] - base.points[i * 3 + 1]);
      }
      const flipNme = flipError / POINTS / iod;

      const side = Math.max(width, height);
      const border = Math.round(0.1 * side);
      const bordered = await locate(await sharp(bytes).extend({ top: border, bottom: border, left: border, right: border, background: '#000' }).png().toBuffer());
      let borderMove = 0;
      for (let i = 0; i < POINTS; i++) {
        borderMove = Math.max(borderMove, Math.hypot(bordered.points[i * 3] - border - base.points[i * 3], bordered.points[i * 3 + 1] - border - base.points[i * 3 + 1]));
      }

      // 10 % tighter: 90 % of each side, centred on the face (kept inside the photo).
      const cx = (pt(base.points, 234).x + pt(base.points, 454).x) / 2;
      const cy = (pt(base.points, 10).y + pt(base.points, 152).y) / 2;
      const w = Math.round(width * 0.9);
      const h = Math.round(height * 0.9);
      const left = Math.round(Math.min(width - w, Math.max(0, cx - w / 2)));
      const top = Math.round(Math.min(height - h, Math.max(0, cy - h / 2)));
      const tighter = await locate(await sharp(bytes).extract({ left, top, width: w, height: h }).png().toBuffer());

      t.diagnostic(`flip NME ${(100 * flipNme).toFixed(2)} % IOD; border max move ${((100 * borderMove) / side).toFixed(2)} % of the side (${((100 * borderMove) / iod).toFixed(2)} % IOD)`);
      assert.ok(flipNme <= 0.02, `flip: mean error ${(100 * flipNme).toFixed(2)} % of the eye distance`);
      assert.ok(borderMove <= 0.01 * side, `border: a landmark moved ${borderMove.toFixed(2)} px (${((100 * borderMove) / side).toFixed(2)} % of ${side} px)`);
      assertPoseNear({ yaw: -flipped.pose.yaw, pitch: flipped.pose.pitch, roll: -flipped.pose.roll }, base.pose, 'flip');
      assertPoseNear(bordered.pose, base.pose, 'border');
      assertPoseNear(tighter.pose, base.pose, 'tighter crop');
    });
  }
});

describe('the mirror pairing', () => {
  test('MESH_MIRROR pairs each point with its reflection in the canonical UV map, and is its own inverse', () => {
    const require = createRequire(import.meta.url);
    const src = fs.readFileSync(path.join(path.dirname(require.resolve('@vladmandic/human')), '../src/face/facemeshcoords.ts'), 'utf8');
    const start = src.indexOf('export const UV468');
    const uv = [...src.slice(start, src.indexOf('];', start)).matchAll(/\[([\d.]+),\s*([\d.]+)\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.equal(uv.length, POINTS);
    assert.equal(MESH_MIRROR.length, POINTS);
    for (let i = 0; i < POINTS; i++) {
      const j = MESH_MIRROR[i];
      assert.equal(MESH_MIRROR[j], i, `mirror of mirror of ${i}`);
      assert.ok(Math.hypot(uv[j][0] - (1 - uv[i][0]), uv[j][1] - uv[i][1]) < 0.002, `point ${i} ↔ ${j}`);
    }
    assert.equal(MESH_MIRROR.filter((j, i) => j === i).length, 28, 'the midline');
  });
});
