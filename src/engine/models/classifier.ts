/**
 * One ONNX image classifier: builds the input tensor from an RGB crop exactly as the
 * manifest says (size, layout, mean/std), runs the session, and returns softmax
 * probabilities in the manifest's class order.
 */
import type { RgbImage } from '../image.ts';
import { resizeArea } from '../face/geometry.ts';
import { createSession, ort } from '../runtime/onnx.ts';
import type { ModelEntry } from './manifest.ts';
import { MicroBatcher } from './batcher.ts';

export class Classifier {
  private batcher: MicroBatcher<RgbImage, Float32Array> | null = null;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly entry: ModelEntry,
  ) {}

  static async create(model: Uint8Array, entry: ModelEntry, intraOpThreads: number): Promise<Classifier> {
    const session = await createSession(model, { intraOpThreads });
    const classifier = new Classifier(session, entry);
    const size = entry.input.size;
    const probe = await classifier.classify([{ width: size, height: size, data: new Uint8Array(size * size * 3) }]); // warm-up
    if (probe[0].length !== entry.classes.length) {
      await session.release();
      throw new Error(`model outputs ${probe[0].length} classes, manifest lists ${entry.classes.length}`);
    }
    return classifier;
  }

  /** The crop resized to the model's input side (area averaging), as the training crops are made. */
  prepare(crop: RgbImage): RgbImage {
    const size = this.entry.input.size;
    return crop.width === size && crop.height === size ? crop : resizeArea(crop, size, size);
  }

  /** Merge concurrent classify calls arriving within `windowMs` into one ONNX run (0 turns it off). */
  enableBatching(windowMs: number): void {
    this.batcher = windowMs > 0 ? new MicroBatcher((crops) => this.run(crops), windowMs) : null;
  }

  batchStats(): { batches: number; items: number } | null {
    return this.batcher ? { ...this.batcher.stats } : null;
  }

  /** Probabilities for a batch of crops (each resized to the input size if needed). */
  classify(crops: RgbImage[]): Promise<Float32Array[]> {
    return this.batcher ? this.batcher.submit(crops) : this.run(crops);
  }

  private async run(crops: RgbImage[]): Promise<Float32Array[]> {
    const { size, layout, mean, std } = this.entry.input;
    const plane = size * size;
    const input = new Float32Array(crops.length * plane * 3);
    crops.forEach((crop, n) => {
      const img = this.prepare(crop);
      const base = n * plane * 3;
      for (let i = 0; i < plane; i++) {
        for (let c = 0; c < 3; c++) {
          const v = (img.data[i * 3 + c] / 255 - mean[c]) / std[c];
          input[layout === 'NCHW' ? base + c * plane + i : base + i * 3 + c] = v;
        }
      }
    });
    const dims = layout === 'NCHW' ? [crops.length, 3, size, size] : [crops.length, size, size, 3];
    const out = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', input, dims) });
    const logits = out[this.session.outputNames[0]].data as Float32Array;
    const classes = logits.length / crops.length;
    return crops.map((_, n) => softmax(logits.subarray(n * classes, (n + 1) * classes)));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
