/**
 * Drawing the analysis over the photo on a 2-D canvas, one function per layer so each can be
 * switched on and off. Coordinates in the result are normalised (0..1) to the oriented image,
 * so every layer scales with the canvas, whatever size it is drawn at.
 */
import { FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE } from '../../../src/engine/face/topology.ts';
import type { AnalysisResult } from '../types.ts';
import { delaunayEdges } from './delaunay.ts';
import { label } from './format.ts';

export type Layer = 'photo' | 'mesh' | 'regions' | 'findings';
export const LAYERS: { id: Layer; name: string }[] = [
  { id: 'photo', name: 'Photo' },
  { id: 'mesh', name: 'Landmark mesh' },
  { id: 'regions', name: 'Skin regions' },
  { id: 'findings', name: 'Findings' },
];

/** Region colours: distinct hues, readable on skin, each paired with a text label on the canvas. */
export const REGION_COLORS: Record<string, string> = {
  forehead: '#1f77b4',
  left_cheek: '#2ca02c',
  right_cheek: '#17becf',
  nose: '#9467bd',
  chin: '#ff7f0e',
  under_eye_left: '#e377c2',
  under_eye_right: '#bcbd22',
};

const edgeCache = new WeakMap<object, [number, number][]>();

function edgesOf(result: AnalysisResult): [number, number][] {
  const lm = result.face!.landmarks;
  let e = edgeCache.get(lm);
  if (!e) {
    e = delaunayEdges(lm.map(([x, y]) => [x, y]));
    edgeCache.set(lm, e);
  }
  return e;
}

function path(ctx: CanvasRenderingContext2D, pts: [number, number][], w: number, h: number, close = true) {
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * w, y * h) : ctx.lineTo(x * w, y * h)));
  if (close) ctx.closePath();
}

function centroid(pts: [number, number][]): [number, number] {
  let x = 0, y = 0;
  for (const p of pts) {
    x += p[0];
    y += p[1];
  }
  return [x / pts.length, y / pts.length];
}

/** A text chip with a dark backing, legible on any skin tone or background. */
function chip(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, size: number, accent?: string) {
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + size * 0.8;
  const h = size * 1.5;
  ctx.fillStyle = 'rgba(15, 23, 30, 0.78)';
  ctx.beginPath();
  ctx.roundRect(x - w / 2, y - h / 2, w, h, h / 2);
  ctx.fill();
  if (accent) {
    ctx.strokeStyle = accent;
    ctx.lineWidth = Math.max(1.5, size / 8);
    ctx.stroke();
  }
  ctx.fillStyle = '#fff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, x, y + size * 0.05);
}

export function drawPhoto(ctx: CanvasRenderingContext2D, img: CanvasImageSource | null, w: number, h: number, show: boolean) {
  if (img && show) {
    ctx.drawImage(img, 0, 0, w, h);
    return;
  }
  // No photo (not stored, or switched off): a neutral ground so the layers stay readable.
  ctx.fillStyle = '#dfe7ea';
  ctx.fillRect(0, 0, w, h);
}

export function drawMesh(ctx: CanvasRenderingContext2D, result: AnalysisResult, w: number, h: number, unit: number) {
  const face = result.face;
  if (!face) return;
  const lm = face.landmarks;
  ctx.lineWidth = unit * 0.6;
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.55)';
  ctx.beginPath();
  for (const [i, j] of edgesOf(result)) {
    ctx.moveTo(lm[i]![0] * w, lm[i]![1] * h);
    ctx.lineTo(lm[j]![0] * w, lm[j]![1] * h);
  }
  ctx.stroke();
  // Contours on top, brighter: the features a person recognises.
  ctx.lineWidth = unit * 1.5;
  ctx.strokeStyle = 'rgba(0, 229, 255, 0.95)';
  for (const idx of [FACE_OVAL, RIGHT_EYE, LEFT_EYE, RIGHT_BROW, LEFT_BROW, LIPS_OUTER]) {
    path(ctx, idx.map((i) => [lm[i]![0], lm[i]![1]] as [number, number]), w, h);
    ctx.stroke();
  }
  ctx.fillStyle = 'rgba(0, 229, 255, 0.9)';
  const r = unit;
  for (const [x, y] of lm) {
    ctx.beginPath();
    ctx.arc(x * w, y * h, r, 0, Math.PI * 2);
    ctx.fill();
  }
}

export function drawRegions(ctx: CanvasRenderingContext2D, result: AnalysisResult, w: number, h: number, unit: number) {
  const size = unit * 13;
  for (const [name, region] of Object.entries(result.regions)) {
    if (region.polygon.length < 3) continue;
    const color = REGION_COLORS[name] ?? '#ffffff';
    path(ctx, region.polygon, w, h);
    ctx.globalAlpha = 0.28;
    ctx.fillStyle = color;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.lineWidth = Math.max(1.5, size / 6);
    ctx.strokeStyle = color;
    ctx.stroke();
  }
}

/** Region names, drawn after every fill and line so nothing paints over them. */
export function drawRegionLabels(ctx: CanvasRenderingContext2D, result: AnalysisResult, w: number, h: number, unit: number) {
  const size = unit * 13;
  for (const [name, region] of Object.entries(result.regions)) {
    if (region.polygon.length < 3 || name.startsWith('under_eye')) continue;
    const [cx, cy] = centroid(region.polygon);
    chip(ctx, label(name), cx * w, cy * h, size * 0.8, REGION_COLORS[name]);
  }
}

export function drawFindings(ctx: CanvasRenderingContext2D, result: AnalysisResult, w: number, h: number, unit: number) {
  const size = unit * 14.5;
  const cv = result.cv_analysis;
  // Redness as a heat fill per region: the redder the region measured, the stronger the tint.
  if (cv.redness.available) {
    for (const [name, score] of Object.entries(cv.redness.per_region)) {
      const poly = result.regions[name]?.polygon;
      if (!score || !poly || poly.length < 3) continue;
      path(ctx, poly, w, h);
      ctx.fillStyle = `rgba(230, 30, 40, ${0.12 + 0.6 * score.score})`;
      ctx.fill();
    }
  }
  // Dark circles: the under-eye regions outlined, with the measured lightness drop.
  if (cv.dark_circles.available) {
    const sides = [['under_eye_right', cv.dark_circles.per_side.right], ['under_eye_left', cv.dark_circles.per_side.left]] as const;
    for (const [name, side] of sides) {
      const poly = result.regions[name]?.polygon;
      if (!side || !poly || poly.length < 3) continue;
      path(ctx, poly, w, h);
      ctx.setLineDash([size * 0.5, size * 0.3]);
      ctx.lineWidth = Math.max(2, size / 5);
      ctx.strokeStyle = cv.dark_circles.detected ? '#b388ff' : '#cfd8dc';
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }
  // Where the face was found.
  const face = result.face;
  if (face) {
    const { x, y, width, height } = face.box;
    ctx.lineWidth = Math.max(2, size / 6);
    ctx.strokeStyle = '#ffd54f';
    ctx.strokeRect((x / result.image.width) * w, (y / result.image.height) * h, (width / result.image.width) * w, (height / result.image.height) * h);
  }
}

/** The findings' numbers as chips, drawn last so lines and fills never cover them. */
export function drawFindingLabels(ctx: CanvasRenderingContext2D, result: AnalysisResult, w: number, h: number, unit: number) {
  const size = unit * 14.5;
  const cv = result.cv_analysis;
  // Per-region redness scores, on the larger regions only to keep the face readable.
  if (cv.redness.available) {
    for (const name of ['forehead', 'left_cheek', 'right_cheek', 'nose', 'chin']) {
      const score = cv.redness.per_region[name as keyof typeof cv.redness.per_region];
      const poly = result.regions[name]?.polygon;
      if (!score || !poly || poly.length < 3) continue;
      const [cx, cy] = centroid(poly);
      chip(ctx, `red ${Math.round(score.score * 100)}`, cx * w, cy * h + size * 1.3, size * 0.75, '#ff5252');
    }
  }
  const face = result.face;
  if (face) {
    const { x, y, width } = face.box;
    const sx = w / result.image.width;
    const sy = h / result.image.height;
    chip(ctx, `face ${Math.round(face.detection_confidence * 100)} %`, (x + width / 2) * sx, Math.max(size, y * sy - size), size * 0.8, '#ffd54f');
  }
}

/** A part of the image, in normalised coordinates. */
export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

const WHOLE: View = { x: 0, y: 0, w: 1, h: 1 };

/**
 * The face with a margin, at a 4:5 portrait aspect, inside the image. In a half-length portrait
 * the face is a small part of the photo; zoomed, the mesh and the labels can be read on a phone.
 */
export function faceView(result: AnalysisResult): View {
  const face = result.face;
  if (!face) return WHOLE;
  const { width: iw, height: ih } = result.image;
  const b = face.box;
  let h = Math.max(b.height * 1.9, (b.width * 1.7 * 5) / 4);
  let w = (h * 4) / 5;
  w = Math.min(w, iw);
  h = Math.min(h, ih);
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height * 0.46;
  const x = Math.min(Math.max(0, cx - w / 2), iw - w);
  const y = Math.min(Math.max(0, cy - h / 2), ih - h);
  return { x: x / iw, y: y / ih, w: w / iw, h: h / ih };
}

/** Canvas size for a view: capped for big photos, enlarged for small crops so lines stay crisp. */
export function canvasSize(result: AnalysisResult, view: View, maxSide = 1200, minSide = 800): { width: number; height: number; scale: number } {
  const pw = view.w * result.image.width;
  const ph = view.h * result.image.height;
  const long = Math.max(pw, ph);
  const scale = long > maxSide ? maxSide / long : long < minSide ? minSide / long : 1;
  return { width: Math.round(pw * scale), height: Math.round(ph * scale), scale };
}

export function drawAll(
  ctx: CanvasRenderingContext2D,
  result: AnalysisResult,
  img: CanvasImageSource | null,
  on: Record<Layer, boolean>,
  view: View = WHOLE,
  /** Canvas pixels per CSS pixel as displayed: labels and lines keep one on-screen size. */
  unit = 1,
) {
  const c = ctx.canvas;
  // Everything is drawn in whole-image canvas units, shifted so the view's corner is at (0, 0).
  const w = c.width / view.w;
  const h = c.height / view.h;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.translate(-view.x * w, -view.y * h);
  drawPhoto(ctx, img, w, h, on.photo);
  // Shapes first, then the mesh, then every label on top.
  if (on.regions) drawRegions(ctx, result, w, h, unit);
  if (on.findings) drawFindings(ctx, result, w, h, unit);
  if (on.mesh) drawMesh(ctx, result, w, h, unit);
  if (on.regions) drawRegionLabels(ctx, result, w, h, unit);
  if (on.findings) drawFindingLabels(ctx, result, w, h, unit);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}
