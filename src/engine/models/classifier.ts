/**
 * One ONNX image classifier: builds the input tensor from an RGB crop exactly as the
 * manifest says (size, layout, mean/std), runs the session, and returns softmax
 * probabilities of the entry's output, divided by its calibration temperature, in the
 * manifest's class order.
 *
 * The input is made in one pass: the crop is area-resized to the input side and each
 * rounded 8-bit value goes through the normalisation table straight into the tensor's plane
 * (no intermediate resized image), giving the same values as resizing first (`prepare`,
 * what `skinsight crop` writes for training) and normalising after.
 */
import type { RgbImage } from '../image.ts';
import { resampleArea, resizeArea } from '../face/geometry.ts';
import { createSession, ort } from '../runtime/onnx.ts';
import type { ModelEntry } from './manifest.ts';
import { MicroBatcher } from './batcher.ts';
import { SharedSession } from './shared-session.ts';

export class Classifier {
  private batcher: MicroBatcher<RgbImage, Float32Array> | null = null;
  private readonly output: string;
  private readonly temperature: number;
  /** (v / 255 − mean) / std for every 8-bit value of each channel: a table lookup per element. */
  private readonly lut: Float32Array[];

  private constructor(
    private readonly shared: SharedSession,
    readonly entry: ModelEntry,
  ) {
    this.output = entry.output ?? shared.session.outputNames[0];
    this.temperature = entry.calibration?.temperature ?? 1;
    const { mean, std } = entry.input;
    this.lut = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - mean[c]) / std[c]));
  }

  /** A classifier on its own session, or on `shared` (another entry's session for the same file). */
  static async create(model: Uint8Array, entry: ModelEntry, intraOpThreads: number, shared?: SharedSession): Promise<Classifier> {
    const session = (shared ?? new SharedSession(await createSession(model, { intraOpThreads }))).acquire();
    const fail = async (message: string): Promise<never> => {
      await session.release();
      throw new Error(message);
    };
    if (!session.session.outputNames.includes(entry.output ?? session.session.outputNames[0])) {
      await fail(`model has no output ${entry.output} (outputs: ${session.session.outputNames.join(', ')})`);
    }
    const classifier = new Classifier(session, entry);
    const size = entry.input.size;
    const probe = await classifier.classify([{ width: size, height: size, data: new Uint8Array(size * size * 3) }]); // warm-up
    if (probe[0].length !== entry.classes.length) await fail(`model outputs ${probe[0].length} classes, manifest lists ${entry.classes.length}`);
    return classifier;
  }

  /** The session, for other entries that name the same file. */
  get sharedSession(): SharedSession {
    return this.shared;
  }

  /** The crop resized to the model's input side (area averaging), as the training crops are made. */
  prepare(crop: RgbImage): RgbImage {
    const size = this.entry.input.size;
    return crop.width === size && crop.height === size ? crop : resizeArea(crop, size, size);
  }

  /** Merge concurrent classify calls arriving within `windowMs` into one ONNX run (0 turns it off). */
  enableBatching(windowMs: number, onBatch?: (size: number) => void): void {
    this.batcher = windowMs > 0 ? new MicroBatcher((crops) => this.run(crops), windowMs, undefined, onBatch) : null;
  }

  batchStats(): { batches: number; items: number } | null {
    return this.batcher ? { ...this.batcher.stats } : null;
  }

  /** Probabilities for a batch of crops (each resized to the input size if needed). */
  classify(crops: RgbImage[]): Promise<Float32Array[]> {
    return this.batcher ? this.batcher.submit(crops) : this.run(crops);
  }

  private async run(crops: RgbImage[]): Promise<Float32Array[]> {
    const out = await this.shared.run(() => this.tensor(crops), crops.length === 1 ? crops[0] : undefined);
    const logits = out[this.output];
    const classes = logits.length / crops.length;
    return crops.map((_, n) => softmax(logits.subarray(n * classes, (n + 1) * classes), this.temperature));
  }

  private tensor(crops: RgbImage[]): ort.Tensor {
    const { size, layout } = this.entry.input;
    const plane = size * size;
    const input = new Float32Array(crops.length * plane * 3);
    const [lr, lg, lb] = this.lut;
    crops.forEach((crop, n) => {
      const base = n * plane * 3;
      // Where pixel i of the input goes for each channel: planes (NCHW) or interleaved (NHWC).
      const [step, c1, c2] = layout === 'NCHW' ? [1, plane, 2 * plane] : [3, 1, 2];
      const emit = (i: number, r: number, g: number, b: number) => {
        const o = base + i * step;
        input[o] = lr[r];
        input[o + c1] = lg[g];
        input[o + c2] = lb[b];
      };
      if (crop.width === size && crop.height === size) {
        const d = crop.data;
        for (let i = 0; i < plane; i++) emit(i, d[i * 3], d[i * 3 + 1], d[i * 3 + 2]);
      } else {
        resampleArea(crop, size, size, emit);
      }
    });
    const dims = layout === 'NCHW' ? [crops.length, 3, size, size] : [crops.length, size, size, 3];
    return new ort.Tensor('float32', input, dims);
  }

  async close(): Promise<void> {
    await this.shared.release();
  }
}

function softmax(logits: Float32Array, temperature: number): Float32Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v / temperature);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] / temperature - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}
