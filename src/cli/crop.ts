/**
 * `skinsight crop`: writes exactly the pixels the engine feeds its skin models, so that
 * training reads the same crops as serving (no train/serve skew). For each input:
 * DIR/<relative path>.png at --size², and a line in DIR/crops.jsonl
 * `{source, output, mode: "face"|"closeup", error?}`.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createEngine } from '../engine/index.ts';
import { toErrorInfo } from '../engine/api.ts';
import { resizeArea } from '../engine/index.ts';
import type { RgbImage } from '../engine/index.ts';
import { PATCH_REGIONS, regionPatch } from '../engine/index.ts';
import { makeFolder } from '../boot/folders.ts';
import { expandInputs, InputReadError, inputLimitBytes, readInput } from './files.ts';
import { startProgress } from './progress.ts';

export interface CropCliOptions {
  outDir: string;
  size: number;
  /** An image with no face is cropped as a close-up (the engine's --closeup path). */
  closeupFallback: boolean;
  closeup: boolean;
  /** Also write the acne patches of each face (DIR/<name>.<region>.png, lines with `region`). */
  patches: boolean;
  /** Side of the patches in pixels. */
  patchSize: number;
  progress: boolean;
}

/** The model input made from the engine's aligned crop: the same resize as Classifier.prepare. */
export function modelInputFromCrop(crop: RgbImage, size: number): RgbImage {
  return crop.width === size && crop.height === size ? crop : resizeArea(crop, size, size);
}

export async function runCrop(args: string[], options: CropCliOptions): Promise<number> {
  const inputs = expandInputs(args);
  makeFolder(options.outDir, '--out');
  const maxBytes = inputLimitBytes();
  const engine = await createEngine({});
  const log = fs.createWriteStream(path.join(options.outDir, 'crops.jsonl'));
  const progress = startProgress(inputs.length, options.progress, 'crop');
  let failures = 0;
  try {
    for (const input of inputs) {
      const output = path.join(options.outDir, input.relative.replace(/\.[^./]+$/, '') + '.png');
      let line: Record<string, unknown>;
      try {
        const bytes = await readInput(input.path, maxBytes);
        let prepared;
        try {
          prepared = await engine.prepare(bytes, { closeup: options.closeup });
        } catch (error) {
          if (!options.closeupFallback || toErrorInfo(error).code !== 'NO_FACE') throw error;
          prepared = await engine.prepare(bytes, { closeup: true });
        }
        const img = modelInputFromCrop(prepared.crop, options.size);
        makeFolder(path.dirname(output), '--out');
        await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(output);
        line = { source: input.path, output, mode: prepared.mode };
        if (options.patches && prepared.mode === 'face') {
          for (const region of PATCH_REGIONS) {
            const patch = regionPatch(prepared.regions.measure.image, prepared.regions.measure.landmarks, region, options.patchSize);
            const file = output.replace(/\.png$/, `.${region}.png`);
            await sharp(patch.data, { raw: { width: patch.width, height: patch.height, channels: 3 } }).png({ compressionLevel: 6 }).toFile(file);
            log.write(JSON.stringify({ source: input.path, output: file, mode: 'patch', region }) + '\n');
          }
        }
      } catch (error) {
        failures++;
        const info = error instanceof InputReadError ? { code: error.code, message: error.message } : toErrorInfo(error);
        line = { source: input.path, output: null, error: info };
      }
      log.write(JSON.stringify(line) + '\n');
      progress.tick();
    }
  } finally {
    progress.stop();
    await new Promise((r) => log.end(r));
    await engine.close();
  }
  return failures > 0 ? 1 : 0;
}
