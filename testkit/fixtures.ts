/** Paths to the shared real-photo fixtures and small image helpers for tests. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.resolve(REPO, '../shared/fixtures');
export const FACES = path.join(FIXTURES, 'faces');
export const NON_FACES = path.join(FIXTURES, 'non-faces');

export function fixture(...parts: string[]): Buffer {
  return fs.readFileSync(path.join(FIXTURES, ...parts));
}

export function faceFixtures(): string[] {
  return fs.readdirSync(FACES).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
}

export interface RawPhoto {
  width: number;
  height: number;
  data: Buffer;
}

/** Upright RGB pixels of a photo. */
export async function rawPixels(bytes: Buffer): Promise<RawPhoto> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

export async function toPng(photo: RawPhoto): Promise<Buffer> {
  return sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).png().toBuffer();
}

/** Calls `edit(index, x, y)` for every pixel inside a polygon given in normalised image coordinates. */
export function forEachPixelIn(photo: RawPhoto, polygon: [number, number][], edit: (i: number, x: number, y: number) => void): number {
  const pts = polygon.map(([x, y]) => ({ x: x * photo.width, y: y * photo.height }));
  let count = 0;
  const minY = Math.max(0, Math.floor(Math.min(...pts.map((p) => p.y))));
  const maxY = Math.min(photo.height - 1, Math.ceil(Math.max(...pts.map((p) => p.y))));
  for (let y = minY; y <= maxY; y++) {
    const xs: number[] = [];
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const a = pts[i];
      const b = pts[j];
      if ((a.y > y + 0.5) !== (b.y > y + 0.5)) xs.push(a.x + ((y + 0.5 - a.y) / (b.y - a.y)) * (b.x - a.x));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      for (let x = Math.max(0, Math.ceil(xs[k])); x <= Math.min(photo.width - 1, Math.floor(xs[k + 1])); x++) {
        edit((y * photo.width + x) * 3, x, y);
        count++;
      }
    }
  }
  return count;
}
