/**
 * One ONNX Runtime session per model file, shared by every registry entry that names the file
 * (a multi-head model: one backbone, one output per task). Concurrent single-crop calls for the
 * same crop object AND the same region weights object (or none) share one run, so the backbone
 * runs once per face for all heads; a call with other region weights on the same crop runs again
 * (it would otherwise read another call's region rows).
 */
import type { RgbImage } from '../image.ts';
import { ort } from '../runtime/onnx.ts';

export type Outputs = Record<string, Float32Array>;

export class SharedSession {
  private users = 0;
  /** Runs in flight or done for single crops, keyed by the crop object (dropped with it), then by the region weights object. */
  private readonly bySingleCrop = new WeakMap<RgbImage, Map<object | null, Promise<Outputs>>>();

  constructor(readonly session: ort.InferenceSession) {}

  acquire(): this {
    this.users++;
    return this;
  }

  /**
   * All outputs for a batch tensor; `single` (a batch of one crop) lets concurrent heads share the
   * run. `extra` adds the model's other inputs (region_weights: classifier.ts), and `extraKey`
   * is the object they are made from (the region weights), part of the shared run's key.
   */
  run(input: () => ort.Tensor, single?: RgbImage, extra?: () => Record<string, ort.Tensor>, extraKey: object | null = null): Promise<Outputs> {
    let runs: Map<object | null, Promise<Outputs>> | undefined;
    if (single) {
      runs = this.bySingleCrop.get(single);
      if (!runs) this.bySingleCrop.set(single, (runs = new Map()));
      const known = runs.get(extraKey);
      if (known) return known;
    }
    const pending = this.session.run({ [this.session.inputNames[0]]: input(), ...extra?.() }).then((out) => {
      const res: Outputs = {};
      for (const [name, t] of Object.entries(out)) res[name] = t.data as Float32Array;
      return res;
    });
    if (runs) {
      const own = runs;
      own.set(extraKey, pending);
      pending.catch(() => own.delete(extraKey));
    }
    return pending;
  }

  /** Releases the session when the last user is done. */
  async release(): Promise<void> {
    if (--this.users === 0) await this.session.release();
  }
}
