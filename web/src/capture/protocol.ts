/** Messages between the camera screen and the capture worker (worker.ts). */
import type { FrameAnalysis } from './analyze.ts';

/** One frame, at most FRAME_LONG_SIDE pixels long; photoScale = photo pixels per frame pixel. */
export interface ToWorker {
  bitmap: ImageBitmap;
  photoScale: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'unavailable'; reason: string }
  /** `ms`: the worker's whole time on the frame (pixel readback and analysis). */
  | { type: 'result'; analysis: FrameAnalysis; frame: { width: number; height: number }; ms: number };

/** Frames are scaled down to this long side before analysis: enough for the 384-px measure crop of a face that fills the guide. */
export const FRAME_LONG_SIDE = 640;
