/**
 * Drawing the analysis over the photo on a 2-D canvas, one function per layer so each can be
 * switched on and off. Coordinates in the result are normalised (0..1) to the oriented image,
 * so every layer scales with the canvas, whatever size it is drawn at.
 */
import { FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE } from '../../../src/engine/face/topology.ts';
import type { AnalysisResult } from '../types.ts';
import { CONCERN_LAYERS, concernAreas, layerFill, strength, type ConcernLayer } from './concerns.ts';
import { delaunayEdges } from './delaunay.ts';
import { label } from './format.ts';
import { LabelPlacer, type Rect } from './labels.ts';

export type Layer = 'photo' | 'face' | 'mesh' | 'regions' | ConcernLayer;
/** Every layer with its switch's name and whether it starts on (the concerns do; the geometry does not, to keep the face readable). */
export const LAYERS: { id: Layer; name: string; on: boolean }[] = [
  { id: 'photo', name: 'Photo', on: true },
  ...CONCERN_LAYERS.map((c) => ({ id: c.id, name: c.name, on: true })),
  { id: 'face', name: 'Analysed face', on: true },
  { id: 'regions', name: 'Skin regions', on: false },
  { id: 'mesh', name: 'Landmark mesh', on: false },
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

/** One concern layer: each area tinted (or patterned) with the strength its score calls for, a thin outline to show where it was measured. */
export function drawConcern(ctx: CanvasRenderingContext2D, result: AnalysisResult, id: ConcernLayer, w: number, h: number, unit: number) {
  const layer = CONCERN_LAYERS.find((l) => l.id === id)!;
  const fill = layerFill(ctx, layer, unit);
  const [r, g, b] = layer.color;
  for (const area of concernAreas(result, id)) {
    path(ctx, area.polygon, w, h);
    // Patterns cover part of the area, so they get a little more opacity for the same reading.
    ctx.globalAlpha = Math.min(0.9, strength(area.score) * (layer.pattern === 'solid' ? 1 : 1.4));
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.globalAlpha = 1;
    ctx.setLineDash([unit * 4, unit * 3]);
    ctx.lineWidth = unit * 1.2;
    ctx.strokeStyle = `rgba(${r}, ${g}, ${b}, 0.85)`;
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

/** Where the analysed face was found: the largest one, when the photo has several. */
export function drawFaceBox(ctx: CanvasRenderingContext2D, result: AnalysisResult, w: number, h: number, unit: number) {
  const face = result.face;
  if (!face) return;
  const { x, y, width, height } = face.box;
  ctx.lineWidth = Math.max(2, unit * 2.4);
  ctx.strokeStyle = '#ffd54f';
  ctx.strokeRect((x / result.image.width) * w, (y / result.image.height) * h, (width / result.image.width) * w, (height / result.image.height) * h);
}

interface Chip {
  text: string;
  x: number;
  y: number;
  accent: string;
  /** The box of the area the chip names, in canvas pixels: the chip stays near it. */
  area: Rect;
}

/** Bounding box of a normalised polygon, in canvas pixels. */
function boxOf(pts: [number, number][], w: number, h: number): Rect {
  const xs = pts.map((p) => p[0] * w);
  const ys = pts.map((p) => p[1] * h);
  const x = Math.min(...xs), y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

/** A placed label: its rect and the box of its area, in canvas pixels from the view's corner. */
interface PlacedLabel extends Rect {
  text: string;
  area: Rect;
}

/** How far a label's centre may sit from its area's box, in label heights. */
const LABEL_MAX_GAP = 2;

/** Every label of the switched-on layers, most important first (the face box, then the concerns). */
function chipsFor(result: AnalysisResult, on: Record<Layer, boolean>, w: number, h: number): Chip[] {
  const chips: Chip[] = [];
  const face = result.face;
  if (on.face && face) {
    const { x, y, width, height } = face.box;
    const several = face.faces_detected > 1;
    const sx = w / result.image.width;
    const sy = h / result.image.height;
    chips.push({
      text: several ? `analysed face (largest of ${face.faces_detected})` : 'analysed face',
      x: (x + width / 2) * sx,
      y: y * sy,
      accent: '#ffd54f',
      area: { x: x * sx, y: y * sy, w: width * sx, h: height * sy },
    });
  }
  for (const layer of CONCERN_LAYERS) {
    if (!on[layer.id]) continue;
    for (const area of concernAreas(result, layer.id)) {
      if (!area.label) continue;
      const [cx, cy] = centroid(area.polygon);
      chips.push({ text: area.label, x: cx * w, y: cy * h, accent: `rgb(${layer.color.join(', ')})`, area: boxOf(area.polygon, w, h) });
    }
  }
  if (on.regions) {
    for (const [name, region] of Object.entries(result.regions)) {
      if (region.polygon.length < 3 || name.startsWith('under_eye')) continue;
      const [cx, cy] = centroid(region.polygon);
      chips.push({ text: label(name), x: cx * w, y: cy * h, accent: REGION_COLORS[name] ?? '#fff', area: boxOf(region.polygon, w, h) });
    }
  }
  return chips;
}

/**
 * The labels, placed so none overlaps another and each stays within LABEL_MAX_GAP label
 * heights of its area (labels.ts); returns what was drawn, in canvas pixels.
 */
export function drawLabels(ctx: CanvasRenderingContext2D, result: AnalysisResult, on: Record<Layer, boolean>, w: number, h: number, unit: number, view: View): PlacedLabel[] {
  const size = unit * 11;
  const placer = new LabelPlacer();
  const bounds = { x: view.x * w, y: view.y * h, w: view.w * w, h: view.h * h };
  const drawn: PlacedLabel[] = [];
  // In canvas pixels with the view's corner at (0, 0), for tests and for debugging.
  const local = (r: Rect): Rect => ({ x: Math.round(r.x - bounds.x), y: Math.round(r.y - bounds.y), w: Math.round(r.w), h: Math.round(r.h) });
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  for (const c of chipsFor(result, on, w, h)) {
    const cw = ctx.measureText(c.text).width + size * 0.8;
    const ch = size * 1.5;
    const r = placer.place(c.x, c.y, cw, ch, bounds, c.area, LABEL_MAX_GAP * ch);
    if (!r) continue;
    chip(ctx, c.text, r.x + r.w / 2, r.y + r.h / 2, size, c.accent);
    drawn.push({ ...local(r), text: c.text, area: local(c.area) });
  }
  return drawn;
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
): PlacedLabel[] {
  const c = ctx.canvas;
  // Everything is drawn in whole-image canvas units, shifted so the view's corner is at (0, 0).
  const w = c.width / view.w;
  const h = c.height / view.h;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.translate(-view.x * w, -view.y * h);
  drawPhoto(ctx, img, w, h, on.photo);
  // Shapes first, then the lines, then every label on top (placed so none overlaps another).
  if (on.regions) drawRegions(ctx, result, w, h, unit);
  for (const layer of CONCERN_LAYERS) if (on[layer.id]) drawConcern(ctx, result, layer.id, w, h, unit);
  if (on.mesh) drawMesh(ctx, result, w, h, unit);
  if (on.face) drawFaceBox(ctx, result, w, h, unit);
  const labels = drawLabels(ctx, result, on, w, h, unit, view);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  return labels;
}
