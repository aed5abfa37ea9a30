/**
 * One ONNX image classifier: builds the input tensor from an RGB crop exactly as the
 * manifest says (size, layout, mean/std), runs the session, and returns softmax
 * probabilities of the entry's output, divided by its calibration temperature, in the
 * manifest's class order.
 */
import type { RgbImage } from '../image.ts';
import { resizeArea } from '../face/geometry.ts';
import { createSession, ort } from '../runtime/onnx.ts';
import type { ModelEntry } from './manifest.ts';
import { MicroBatcher } from './batcher.ts';
import { SharedSession } from './shared-session.ts';

export class Classifier {
  private batcher: MicroBatcher<RgbImage, Float32Array> | null = null;
  private readonly output: string;
  private readonly temperature: number;

  private constructor(
    private readonly shared: SharedSession,
    readonly entry: ModelEntry,
  ) {
    this.output = entry.output ?? shared.session.outputNames[0];
    this.temperature = entry.calibration?.temperature ?? 1;
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
    const { size, layout, mean, std } = this.entry.input;
    const plane = size * size;
    const input = new Float32Array(crops.length * plane * 3);
    // (v / 255 − mean) / std for every 8-bit value of each channel: a table lookup per element.
    const lut = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - mean[c]) / std[c]));
    crops.forEach((crop, n) => {
      const d = this.prepare(crop).data;
      const base = n * plane * 3;
      if (layout === 'NCHW') {
        for (let c = 0; c < 3; c++) {
          const t = lut[c];
          const o = base + c * plane;
          for (let i = 0; i < plane; i++) input[o + i] = t[d[i * 3 + c]];
        }
      } else {
        for (let i = 0; i < plane * 3; i++) input[base + i] = lut[i % 3][d[i]];
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
