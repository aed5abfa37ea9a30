/**
 * Head pose from the 3D landmarks. The mesh's x axis runs along the outer eye corners
 * (33 → 263) and its y axis from the forehead top (10) to the chin (152); Gram–Schmidt
 * makes them orthonormal and their cross product is the face's normal. Angles in degrees:
 * yaw > 0 when the subject turns to their left (towards the image's right),
 * pitch > 0 when the chin goes up, roll > 0 when the head tilts clockwise in the image.
 */
import type { Pose } from '../result/schema.ts';
import { LANDMARK } from './topology.ts';

type Vec = [number, number, number];

export function estimatePose(points: Float32Array): Pose {
  const p = (i: number): Vec => [points[i * 3], points[i * 3 + 1], points[i * 3 + 2]];
  const sub = (a: Vec, b: Vec): Vec => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const dot = (a: Vec, b: Vec) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const norm = (a: Vec): Vec => {
    const l = Math.hypot(a[0], a[1], a[2]) || 1;
    return [a[0] / l, a[1] / l, a[2] / l];
  };
  const x = norm(sub(p(LANDMARK.leftEyeOuter), p(LANDMARK.rightEyeOuter)));
  const yRaw = sub(p(LANDMARK.chin), p(LANDMARK.foreheadTop));
  const y = norm(sub(yRaw, x.map((v) => v * dot(yRaw, x)) as Vec));
  const deg = (r: number) => Math.round((r * 180 / Math.PI) * 10) / 10;
  return {
    // Turning the head moves one eye corner towards the camera (negative z).
    yaw: deg(Math.asin(Math.max(-1, Math.min(1, -x[2])))),
    // Lifting the chin moves it towards the camera relative to the forehead.
    pitch: deg(Math.asin(Math.max(-1, Math.min(1, -y[2])))),
    roll: deg(Math.atan2(x[1], x[0])),
  };
}
