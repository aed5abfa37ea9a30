/**
 * One ONNX image classifier: builds the input tensor from an RGB crop exactly as the
 * manifest says (size, layout, mean/std), runs the session, and returns softmax
 * probabilities of the entry's output, divided by its calibration temperature, in the
 * manifest's class order (region rows: raw logits, calibrated in acne-regions.ts).
 *
 * The input: the crop is area-resized to the input side into a buffer the classifier keeps
 * (integer ratios, such as the 384² measure crop to 192², as 2×2 block means: geometry.ts
 * resizeAreaInto), then each 8-bit value goes through the normalisation table into the tensor's
 * plane: the same values as resizing (`prepare`, what `skinsight crop` writes for training) and
 * normalising after (test/classifier-input.test.ts). Two plain loops, no call per pixel: the
 * fused form (a callback per output pixel) ran slower inside the pipeline than alone
 * (bench/models-stage.bench.ts, bench/README.md "Models stage").
 */
import type { RgbImage } from '../image.ts';
import { resizeArea, resizeAreaInto } from '../face/geometry.ts';
import { createSession, ort } from '../runtime/onnx.ts';
import type { ModelEntry } from './manifest.ts';
import { MicroBatcher } from './batcher.ts';
import { SharedSession } from './shared-session.ts';
import { uniformWeights, type RegionWeights } from './region-weights.ts';

interface Item {
  crop: RgbImage;
  regions?: RegionWeights;
}

/**
 * Whole-crop probabilities and, when regions were asked and the model has them, one row of raw
 * logits per region (no temperature: region rows have their own calibration, acne-regions.ts).
 */
export interface ClassifyOutput {
  probabilities: Float32Array;
  regionLogits: Float32Array[] | null;
}

/** What the model's region input is, or why there is none. */
type RegionSupport = { input: string; output: string; cells: number; grid: number } | { reason: string };

export class Classifier {
  private batcher: MicroBatcher<Item, ClassifyOutput> | null = null;
  /** The region input of the model, or why it has none. */
  readonly regionSupport: RegionSupport;
  private readonly output: string;
  private readonly temperature: number;
  /** (v / 255 − mean) / std for every 8-bit value of each channel: a table lookup per element. */
  private readonly lut: Float32Array[];
  /** The crop resized to the input side, lent from one tensor to the next (tensor() is synchronous). */
  private resized: Uint8Array | null = null;

  private constructor(
    private readonly shared: SharedSession,
    readonly entry: ModelEntry,
  ) {
    this.output = entry.output ?? shared.session.outputNames[0];
    this.temperature = entry.calibration?.temperature ?? 1;
    const { mean, std } = entry.input;
    this.lut = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - mean[c]) / std[c]));
    this.regionSupport = regionSupport(shared.session, entry);
  }

  /** The feature grid side (G = grid²) of the model's region input, or null. */
  get regionGrid(): number | null {
    return 'grid' in this.regionSupport ? this.regionSupport.grid : null;
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
    const extra = session.session.inputNames.slice(1);
    if (extra.length > 0 && !(extra.length === 1 && extra[0] === entry.regions?.input)) {
      await fail(`model needs inputs ${extra.join(', ')} that the manifest entry does not describe`);
    }
    const classifier = new Classifier(session, entry);
    if (extra.length > 0 && 'reason' in classifier.regionSupport) await fail(classifier.regionSupport.reason);
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
  async classify(crops: RgbImage[]): Promise<Float32Array[]> {
    return (await this.submit(crops.map((crop) => ({ crop })))).map((o) => o.probabilities);
  }

  /**
   * Whole-crop probabilities and one row of raw logits per region of `regions` (weights on this
   * model's grid, `regionGrid`), from one forward. `regionLogits: null` in the output when the
   * model has no region input. Heads sharing the file must pass the same weights for the same crop (they share the run).
   */
  async classifyRegions(crop: RgbImage, regions: RegionWeights): Promise<ClassifyOutput> {
    return (await this.submit([{ crop, regions }]))[0];
  }

  private submit(items: Item[]): Promise<ClassifyOutput[]> {
    return this.batcher ? this.batcher.submit(items) : this.run(items);
  }

  private async run(items: Item[]): Promise<ClassifyOutput[]> {
    const support = this.regionSupport;
    const feeds = 'input' in support ? () => ({ [support.input]: this.regionTensor(items, support.cells) }) : undefined;
    const single = items.length === 1 ? items[0] : undefined;
    const out = await this.shared.run(() => this.tensor(items.map((it) => it.crop)), single?.crop, feeds, single?.regions ?? null);
    const logits = out[this.output];
    const classes = logits.length / items.length;
    const perRegion = 'output' in support ? out[support.output] : undefined;
    const rows = perRegion ? perRegion.length / (items.length * classes) : 0;
    return items.map((it, n) => ({
      probabilities: softmax(logits.subarray(n * classes, (n + 1) * classes), this.temperature),
      regionLogits:
        perRegion && it.regions && it.regions.rows <= rows
          ? Array.from({ length: it.regions.rows }, (_, r) => {
              const at = (n * rows + r) * classes;
              return perRegion.slice(at, at + classes);
            })
          : null,
    }));
  }

  /** [N, R, G]: each item's rows (the uniform row when it has none), padded with zero rows to the batch's largest R. */
  private regionTensor(items: Item[], cells: number): ort.Tensor {
    const rows = Math.max(1, ...items.map((it) => it.regions?.rows ?? 1));
    const data = new Float32Array(items.length * rows * cells);
    items.forEach((it, n) => {
      const w = it.regions ?? uniformWeights(cells);
      if (w.cells !== cells) throw new Error(`region weights have ${w.cells} cells, the model ${cells}`);
      data.set(w.data, n * rows * cells);
    });
    return new ort.Tensor('float32', data, [items.length, rows, cells]);
  }

  private tensor(crops: RgbImage[]): ort.Tensor {
    const { size, layout } = this.entry.input;
    const plane = size * size;
    const input = new Float32Array(crops.length * plane * 3);
    const [lr, lg, lb] = this.lut;
    // Where pixel i of the input goes for each channel: planes (NCHW) or interleaved (NHWC).
    const [step, c1, c2] = layout === 'NCHW' ? [1, plane, 2 * plane] : [3, 1, 2];
    for (let n = 0; n < crops.length; n++) {
      const crop = crops[n];
      let d = crop.data;
      if (crop.width !== size || crop.height !== size) {
        // Resized into this model's lent buffer (used only within this call), then normalised.
        resizeAreaInto(crop, size, size, (this.resized ??= new Uint8Array(plane * 3)));
        d = this.resized;
      }
      for (let i = 0, o = n * plane * 3; i < plane; i++, o += step) {
        input[o] = lr[d[i * 3]];
        input[o + c1] = lg[d[i * 3 + 1]];
        input[o + c2] = lb[d[i * 3 + 2]];
      }
    }
    const dims = layout === 'NCHW' ? [crops.length, 3, size, size] : [crops.length, size, size, 3];
    return new ort.Tensor('float32', input, dims);
  }

  async close(): Promise<void> {
    await this.shared.release();
  }
}

/** The region input and output the manifest names, with G read from the model's input shape. */
function regionSupport(session: ort.InferenceSession, entry: ModelEntry): RegionSupport {
  const spec = entry.regions;
  if (!spec) return { reason: `${entry.name}@${entry.version} has no region input (an older export; training/export_regions.py adds it)` };
  if (!session.inputNames.includes(spec.input)) return { reason: `model has no input ${spec.input}` };
  if (!session.outputNames.includes(spec.output)) return { reason: `model has no output ${spec.output}` };
  const meta = session.inputMetadata?.find((m) => m.name === spec.input);
  const dims = meta && meta.isTensor ? meta.shape : [];
  const cells = dims.at(-1);
  if (typeof cells !== 'number') return { reason: `model input ${spec.input} has no static cell count` };
  const grid = Math.round(Math.sqrt(cells));
  if (grid * grid !== cells || grid !== spec.grid) return { reason: `model input ${spec.input} has ${cells} cells, the manifest's grid is ${spec.grid}×${spec.grid}` };
  return { input: spec.input, output: spec.output, cells, grid };
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
