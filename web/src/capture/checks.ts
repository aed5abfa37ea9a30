/**
 * The live checks shown on the camera screen, each with a short instruction, from one frame's
 * analysis (analyze.ts). The light, sharpness, face-size and yaw/pitch verdicts are the
 * engine's own quality issues (measureQuality with DEFAULT_QUALITY), so "all passed" here
 * means the server's gate would pass the same frame; the server still judges the photo.
 * Distance and centring are judged in the preview as the person sees it (the oval guide).
 */
import { DEFAULT_QUALITY } from '../../../src/engine/browser.ts';
import type { FrameAnalysis } from './analyze.ts';

export type CheckId = 'face' | 'distance' | 'centre' | 'pose' | 'light' | 'sharpness';

export interface Check {
  id: CheckId;
  label: string;
  /** null: not judged (no face to judge it on, or no light to judge sharpness by). */
  ok: boolean | null;
  /** What to do when not ok; why it waits when not judged. */
  instruction: string | null;
}

/** The oval guide in CaptureView (viewBox 0–100): centre (50, 47), radii 22 × 33. */
export const GUIDE = { cx: 0.5, cy: 0.47, ry: 0.33 };
/**
 * The landmark box (forehead top to chin) fills about 0.8 of the oval's height when the face
 * sits in it; accepted from 0.45 to 1.15 of the oval (0.30–0.76 of the preview's height).
 */
const MIN_FACE_HEIGHT = 0.45 * 2 * GUIDE.ry;
const MAX_FACE_HEIGHT = 1.15 * 2 * GUIDE.ry;
/** Largest offset of the face's centre from the oval's, as a fraction of the preview. */
const MAX_OFFSET = 0.12;
/**
 * The engine's gate has no roll limit (it levels the crop on the eye line before measuring);
 * this one is for the guidance only: a head tilted past it is asked to straighten, as the
 * gate's FACE_TURNED advice ("your head level") says.
 */
export const MAX_ROLL_DEG = 20;
/** The preview box's aspect (width / height), as styled (.camera, aspect-ratio 3 / 4). */
export const PREVIEW_ASPECT = 3 / 4;

/**
 * A box in frame fractions → preview fractions: the preview shows the frame with
 * `object-fit: cover` (centred crop) and mirrored.
 */
export function toPreview(
  box: { x: number; y: number; width: number; height: number },
  frame: { width: number; height: number },
  aspect = PREVIEW_ASPECT,
): { x: number; y: number; width: number; height: number } {
  const frameAspect = frame.width / frame.height;
  // Share of the frame visible across and down.
  const sx = frameAspect > aspect ? aspect / frameAspect : 1;
  const sy = frameAspect > aspect ? 1 : frameAspect / aspect;
  const x = (box.x - (1 - sx) / 2) / sx;
  const y = (box.y - (1 - sy) / 2) / sy;
  const width = box.width / sx;
  return { x: 1 - x - width, y, width, height: box.height / sy };
}

export function liveChecks(analysis: FrameAnalysis, frame: { width: number; height: number }): Check[] {
  const face = analysis.face;
  const checks: Check[] = [];
  const add = (id: CheckId, label: string, failure: string | null, waiting: string | null = null) =>
    checks.push({ id, label, ok: waiting ? null : !failure, instruction: waiting ?? failure });

  add(
    'face',
    'Face found',
    analysis.faces === 0 ? 'Show your face to the camera' : analysis.faces > 1 ? 'Only one face in the picture, please' : null,
  );
  if (!face) {
    for (const [id, label] of LABELS) add(id, label, null, 'waiting for a face');
    return checks;
  }
  const p = toPreview(face.box, frame);
  const issues = new Set(face.issues);

  add(
    'distance',
    'Distance',
    p.height < MIN_FACE_HEIGHT || issues.has('FACE_TOO_SMALL') ? 'Move closer' : p.height > MAX_FACE_HEIGHT ? 'Move back a little' : null,
  );
  const dx = p.x + p.width / 2 - GUIDE.cx;
  const dy = p.y + p.height / 2 - GUIDE.cy;
  add(
    'centre',
    'Centred',
    // In the mirrored preview, moving to your left moves the face to the left of the screen.
    dx > MAX_OFFSET ? 'Move a little to your left' : dx < -MAX_OFFSET ? 'Move a little to your right'
      : dy > MAX_OFFSET ? 'Raise the camera or your face a little' : dy < -MAX_OFFSET ? 'Lower the camera or your face a little' : null,
  );
  const { yaw, pitch, roll } = face.pose;
  add(
    'pose',
    'Facing the camera',
    // pose.ts: yaw > 0 when turned to the subject's left, pitch > 0 when the chin is up.
    Math.abs(yaw) > DEFAULT_QUALITY.maxYawDeg ? (yaw > 0 ? 'Turn your head a little to your right' : 'Turn your head a little to your left')
      : Math.abs(pitch) > DEFAULT_QUALITY.maxPitchDeg ? (pitch > 0 ? 'Lower your chin a little' : 'Raise your chin a little')
        : Math.abs(roll) > MAX_ROLL_DEG ? 'Keep your head level' : null,
  );
  add(
    'light',
    'Light',
    issues.has('TOO_DARK') ? 'Too dark: turn to the light'
      : issues.has('TOO_BRIGHT') ? 'Too bright: move out of direct light'
        : issues.has('SKIN_NOT_FOUND') ? 'No skin found: use brighter light and keep your face uncovered' : null,
  );
  // In the dark or in glare the skin has no detail to judge: sharpness waits for the light.
  const lit = !issues.has('TOO_DARK') && !issues.has('TOO_BRIGHT') && !issues.has('SKIN_NOT_FOUND');
  add('sharpness', 'Sharp', issues.has('BLURRED') ? 'Hold still: the picture is blurred' : null, lit ? null : 'judged once the light is right');
  return checks;
}

const LABELS: [CheckId, string][] = [
  ['distance', 'Distance'],
  ['centre', 'Centred'],
  ['pose', 'Facing the camera'],
  ['light', 'Light'],
  ['sharpness', 'Sharp'],
];

/** How long every check must pass before the photo is taken by itself. */
export const AUTO_CAPTURE_MS = 1000;

/** Tracks how long all checks have passed without a break. */
export class PassStreak {
  private since: number | null = null;

  /** Feed each frame's verdict; true once everything has passed for AUTO_CAPTURE_MS. */
  update(allPassed: boolean, now: number): boolean {
    if (!allPassed) {
      this.since = null;
      return false;
    }
    this.since ??= now;
    return now - this.since >= AUTO_CAPTURE_MS;
  }

  /** Fraction of the hold time done (for a progress ring), 0 when not passing. */
  progress(now: number): number {
    return this.since === null ? 0 : Math.min(1, (now - this.since) / AUTO_CAPTURE_MS);
  }
}

export const allPassed = (checks: Check[]): boolean => checks.every((c) => c.ok === true);
