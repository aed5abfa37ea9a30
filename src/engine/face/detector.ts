/**
 * Stage 2a: faces at every range. The short-range model sees the photo padded on every side
 * (a face that fills the frame or is cut by an edge then looks like a selfie face with a
 * border, which is what it was trained on); the full-range model sees the plain letterbox for
 * small, distant faces. Their candidates are merged by one weighted NMS.
 *
 * The short-range model is the cheap first pass (its network costs about a fifth of the
 * full-range one's): when it already finds a face of at least 1/10 of the long side (selfies,
 * tight crops), the full-range model is skipped. When the padded view finds none, the
 * short-range model looks once more at the plain letterbox (no padding): there a face of
 * 0.13–0.5 of the long side is 17–64 input pixels, inside its anchor range (MediaPipe's
 * short-range SSD anchors start at 0.1484 of the input side), and on every face fixture it finds
 * the faces the full-range model finds (two_people: both). Two short-range runs (≈ 2 ms each)
 * cost less than one full-range run (≈ 7 ms). Only when neither settles does the full-range model
 * run, merged with the padded pass's candidates as before (the letterbox pass's are dropped, so a
 * photo without a face sees the same candidates as before it existed, plus any that settled it).
 * On an elongated photo (beyond 1.6:1, e.g. a 16:9 frame) the letterbox pass goes first: no face
 * there is larger than the short side (≤ 0.63 of the long side, within the letterbox view's anchor
 * sizes) unless the frame cuts it, which is when the padded pass, run next, is needed; 1.6 is the
 * elongation beyond which find.ts already treats a photo as no tight face crop (FALLBACK_MAX_ASPECT).
 * The largest face is the one analysed, so only the count of tiny faces beside a larger one can
 * be lower.
 */
import type { RgbImage } from '../image.ts';
import { BlazeFace, FULL_RANGE, paddedView, SHORT_RANGE, type FaceDetection } from './blazeface.ts';
import { weightedNms } from './nms.ts';

export interface FaceDetectorOptions {
  /** Minimum detector score (0..1). */
  scoreThreshold: number;
  iouThreshold: number;
  /** Run the short-range model (false: the full-range model alone, as before issue #11). */
  shortRange: boolean;
  /** Padding around the photo for the short-range model, as a fraction of the long side per edge. */
  shortRangePad: number;
  /** Skip the full-range model when a short-range face is at least this fraction of the long side (Infinity: always run both). */
  skipFullRangeAbove: number;
  /** Before the full-range model, run the short-range one on the unpadded letterbox (see above). */
  shortRangeLetterbox: boolean;
  /** On photos more elongated than this (long side / short side), the letterbox pass runs before the padded one. */
  letterboxFirstAbove: number;
  /** Both BlazeFace graphs with their channel padding rewritten at load (channel-pad-rewrite.ts); false: as shipped. */
  padChannels: boolean;
  intraOpThreads: number;
}

export class FaceDetector {
  private constructor(
    private readonly short: BlazeFace,
    private readonly full: BlazeFace,
    readonly options: FaceDetectorOptions,
  ) {}

  static async load(options: FaceDetectorOptions): Promise<FaceDetector> {
    const load = (variant: typeof SHORT_RANGE) => BlazeFace.load(variant, options.intraOpThreads, { padChannels: options.padChannels });
    const [short, full] = await Promise.all([load(SHORT_RANGE), load(FULL_RANGE)]);
    return new FaceDetector(short, full, options);
  }

  /** Why a graph runs without its channel-padding rewrite (slower, same faces), per graph; empty when both have it or it was turned off. */
  rewritesSkipped(): { graph: string; reason: string }[] {
    return [['blazeface_front_128', this.short], ['blazeface_back_256', this.full]].flatMap(([graph, m]) => {
      const reason = (m as BlazeFace).channelPad.skipped;
      return reason ? [{ graph: graph as string, reason }] : [];
    });
  }

  /** All faces scoring at least the threshold (default: the configured one), largest first. */
  async detect(image: RgbImage, scoreThreshold = this.options.scoreThreshold): Promise<FaceDetection[]> {
    const largestFirst = (faces: FaceDetection[]) => faces.sort((a, b) => b.width * b.height - a.width * a.height);
    const { iouThreshold } = this.options;
    const longSide = Math.max(image.width, image.height);
    const settles = (faces: FaceDetection[]) => faces.some((f) => Math.max(f.width, f.height) >= this.options.skipFullRangeAbove * longSide);
    const padded = paddedView(image, this.options.shortRangePad);
    const letterbox = paddedView(image, 0);
    const views = !this.options.shortRange ? [] : !this.options.shortRangeLetterbox ? [padded] : [padded, letterbox];
    // An elongated frame holds no face larger than its short side, which the letterbox pass covers: it goes first.
    if (views.length === 2 && longSide / Math.min(image.width, image.height) > this.options.letterboxFirstAbove) views.reverse();
    let near: FaceDetection[] = []; // the padded pass's candidates, merged with the full-range ones
    const seen: FaceDetection[] = [];
    for (const view of views) {
      const found = await this.short.candidates(image, view, scoreThreshold);
      if (view === padded) near = found;
      seen.push(...found);
      const faces = weightedNms(seen, iouThreshold);
      if (settles(faces)) return largestFirst(faces);
    }
    const far = await this.full.candidates(image, letterbox, scoreThreshold);
    return largestFirst(weightedNms([...near, ...far], iouThreshold));
  }

  async close(): Promise<void> {
    await Promise.all([this.short.close(), this.full.close()]);
  }
}
