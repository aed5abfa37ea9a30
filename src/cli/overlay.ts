/**
 * Draws a result over its photo: the landmark mesh, the skin regions, the face box and a
 * panel with the findings. Used by `skinsight analyze --overlay DIR`.
 */
import sharp from 'sharp';
import type { AnalysisResult } from '../engine/api.ts';

const REGION_COLORS: Record<string, string> = {
  forehead: '#4fc3f7',
  left_cheek: '#81c784',
  right_cheek: '#81c784',
  nose: '#ffb74d',
  chin: '#ba68c8',
  under_eye_left: '#f06292',
  under_eye_right: '#f06292',
};

const MAX_SIDE = 1024;

export async function renderOverlay(bytes: Uint8Array, result: AnalysisResult): Promise<Buffer> {
  const base = sharp(bytes).rotate().resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true }).removeAlpha();
  const { data, info } = await base.raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  const h = info.height;
  const parts: string[] = [];
  const face = result.face;
  if (face) {
    for (const [name, region] of Object.entries(result.regions)) {
      const pts = region.polygon.map(([x, y]) => `${(x * w).toFixed(1)},${(y * h).toFixed(1)}`).join(' ');
      const color = REGION_COLORS[name] ?? '#ffffff';
      parts.push(`<polygon points="${pts}" fill="${color}" fill-opacity="0.25" stroke="${color}" stroke-width="1.5"/>`);
    }
    const r = Math.max(0.8, (face.box.width / result.image.width) * w / 250);
    for (const [x, y] of face.landmarks) parts.push(`<circle cx="${(x * w).toFixed(1)}" cy="${(y * h).toFixed(1)}" r="${r.toFixed(2)}" fill="#00e5ff"/>`);
    const sx = w / result.image.width;
    const sy = h / result.image.height;
    parts.push(
      `<rect x="${face.box.x * sx}" y="${face.box.y * sy}" width="${face.box.width * sx}" height="${face.box.height * sy}" fill="none" stroke="#ffeb3b" stroke-width="2"/>`,
    );
  }
  const lines = summaryLines(result);
  const fontSize = Math.max(11, Math.round(Math.min(w, h) / 45));
  const panelH = (lines.length + 1) * fontSize * 1.3;
  const panelW = Math.min(w, fontSize * 24);
  parts.push(`<rect x="0" y="0" width="${panelW}" height="${panelH}" fill="#000" fill-opacity="0.6"/>`);
  lines.forEach((line, i) => {
    parts.push(`<text x="${fontSize * 0.5}" y="${(i + 1) * fontSize * 1.3}" font-family="sans-serif" font-size="${fontSize}" fill="#fff">${escapeXml(line)}</text>`);
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).composite([{ input: Buffer.from(svg) }]).png().toBuffer();
}

function summaryLines(r: AnalysisResult): string[] {
  const lines: string[] = [];
  const acne = r.ml_analysis.acne_analysis;
  lines.push(acne.available ? `acne: ${acne.label} (${pct(acne.probabilities.acne)})` : `acne: n/a (${acne.reason.slice(0, 40)})`);
  const cond = r.ml_analysis.condition_analysis;
  lines.push(cond.available ? `condition: ${cond.condition} (${pct(cond.confidence)})` : 'condition: n/a');
  const tone = r.cv_analysis.skin_tone;
  if (tone.available) lines.push(`tone: ITA ${tone.ita_deg.toFixed(1)}° ${tone.category}, Monk ${tone.monk_tone}`);
  const type = r.cv_analysis.skin_type;
  if (type.available) lines.push(`skin type: ${type.type}`);
  if (r.cv_analysis.texture_quality !== null) lines.push(`texture: ${r.cv_analysis.texture_quality.toFixed(2)}`);
  const wr = r.cv_analysis.wrinkles;
  if (wr.available) lines.push(`wrinkles: ${wr.detected ? 'yes' : 'no'} (${wr.density.toFixed(3)})`);
  const dc = r.cv_analysis.dark_circles;
  if (dc.available) lines.push(`dark circles: ${dc.detected ? 'yes' : 'no'} (${dc.severity.toFixed(2)})`);
  const red = r.cv_analysis.redness;
  if (red.available) lines.push(`redness: ${red.score.toFixed(2)}`);
  lines.push(`quality: ${r.quality.passed ? 'ok' : r.quality.issues.map((i) => i.code).join(', ')}`);
  lines.push('cosmetic estimate, not a diagnosis');
  return lines;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
