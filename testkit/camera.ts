/**
 * A fake camera for Chromium (--use-file-for-fake-video-capture): Y4M 4:2:0 frames of one
 * photo, cropped to the preview's 3:4 and scaled by `gain` (0.12: a dim room). Chromium loops
 * the file as the camera's video, so getUserMedia sees a face that holds still. Colours are
 * BT.601 limited range, as Chromium's Y4M reader expects.
 */
import fs from 'node:fs';
import sharp from 'sharp';

export async function writeFakeCamera(photo: string, file: string, opts: { gain?: number; fps?: number; frames?: number } = {}): Promise<string> {
  const { gain = 1, fps = 30, frames = 3 } = opts;
  const W = 480;
  const H = 640;
  const rgb = await sharp(photo).rotate().resize(W, H, { fit: 'cover' }).linear(gain, 0).removeAlpha().raw().toBuffer();
  const y = Buffer.alloc(W * H);
  const u = Buffer.alloc((W / 2) * (H / 2));
  const v = Buffer.alloc((W / 2) * (H / 2));
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = (j * W + i) * 3;
      const [r, g, b] = [rgb[k]!, rgb[k + 1]!, rgb[k + 2]!];
      y[j * W + i] = Math.round(0.257 * r + 0.504 * g + 0.098 * b + 16);
      if (j % 2 === 0 && i % 2 === 0) {
        const c = (j / 2) * (W / 2) + i / 2;
        u[c] = Math.round(-0.148 * r - 0.291 * g + 0.439 * b + 128);
        v[c] = Math.round(0.439 * r - 0.368 * g - 0.071 * b + 128);
      }
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F${fps}:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
  return file;
}
