/**
 * One ONNX Runtime session per model file, shared by every registry entry that names the file
 * (a multi-head model: one backbone, one output per task). Concurrent single-crop calls for the
 * same crop object share one run, so the backbone runs once per face for all heads.
 */
import type { RgbImage } from '../image.ts';
import { ort } from '../runtime/onnx.ts';

export type Outputs = Record<string, Float32Array>;

export class SharedSession {
  private users = 0;
  /** Runs in flight or done for single crops, keyed by the crop object (dropped with it). */
  private readonly bySingleCrop = new WeakMap<RgbImage, Promise<Outputs>>();

  constructor(readonly session: ort.InferenceSession) {}

  acquire(): this {
    this.users++;
    return this;
  }

  /**
   * All outputs for a batch tensor; `single` (a batch of one crop) lets concurrent heads share the
   * run. `extra` adds the model's other inputs (region_weights: classifier.ts).
   */
  run(input: () => ort.Tensor, single?: RgbImage, extra?: () => Record<string, ort.Tensor>): Promise<Outputs> {
    if (single) {
      const known = this.bySingleCrop.get(single);
      if (known) return known;
    }
    const pending = this.session.run({ [this.session.inputNames[0]]: input(), ...extra?.() }).then((out) => {
      const res: Outputs = {};
      for (const [name, t] of Object.entries(out)) res[name] = t.data as Float32Array;
      return res;
    });
    if (single) {
      this.bySingleCrop.set(single, pending);
      pending.catch(() => this.bySingleCrop.delete(single));
    }
    return pending;
  }

  /** Releases the session when the last user is done. */
  async release(): Promise<void> {
    if (--this.users === 0) await this.session.release();
  }
}
