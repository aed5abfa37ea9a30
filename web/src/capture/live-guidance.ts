/**
 * The camera screen's side of the live checks: keeps the capture worker fed with the newest
 * video frames (IN_FLIGHT at most: one being analysed and the next one already waiting, so the
 * worker never idles while a frame is grabbed and sent, and no queue builds up on a slow
 * machine), turns each answer into checks, measures the check rate, and says when to take the
 * photo.
 */
import { allPassed, liveChecks, PassStreak, type Check } from './checks.ts';
import { FRAME_LONG_SIDE, type FromWorker, type ToWorker } from './protocol.ts';

export interface GuidanceState {
  status: 'loading' | 'live' | 'unavailable';
  reason?: string;
  checks: Check[];
  /** Checks completed per second over the last RATE_WINDOW_MS. */
  rate: number;
  /** Mean time of one check in the worker (pixel readback and analysis) over the same window, in ms. */
  checkMs: number;
  /** Checks completed since the camera started. */
  count: number;
  /** 0..1 of the hold before the photo is taken by itself. */
  hold: number;
}

const RATE_WINDOW_MS = 2000;
/** Frames sent and not yet answered, at most. */
const IN_FLIGHT = 2;

export class LiveGuidance {
  private readonly worker: Worker;
  private readonly streak = new PassStreak();
  /** When each recent check came back, and how long the worker spent on it. */
  private readonly done: { at: number; ms: number }[] = [];
  private stopped = false;
  /** Frames sent and not answered yet. */
  private inFlight = 0;
  /** A video-frame callback is pending. */
  private waiting = false;
  private fired = false;
  private count = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onState: (state: GuidanceState) => void,
    private readonly onReady: () => void,
  ) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'capture-guidance' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    this.worker.onerror = (e) => this.fail(e.message || 'the guidance worker failed to start');
    onState({ status: 'loading', checks: [], rate: 0, checkMs: 0, count: 0, hold: 0 });
  }

  stop(): void {
    this.stopped = true;
    this.worker.terminate();
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.onState({ status: 'unavailable', reason, checks: [], rate: 0, checkMs: 0, count: 0, hold: 0 });
  }

  private receive(message: FromWorker): void {
    if (this.stopped) return;
    if (message.type === 'unavailable') return this.fail(message.reason);
    if (message.type === 'ready') return this.next();
    this.inFlight--;
    this.count++;
    const now = performance.now();
    this.done.push({ at: now, ms: message.ms });
    while (this.done.length && this.done[0]!.at < now - RATE_WINDOW_MS) this.done.shift();
    const span = this.done.length > 1 ? now - this.done[0]!.at : 0;
    const rate = span > 0 ? ((this.done.length - 1) * 1000) / span : 0;
    const checkMs = this.done.reduce((s, d) => s + d.ms, 0) / this.done.length;
    const checks = liveChecks(message.analysis, message.frame);
    const ready = this.streak.update(allPassed(checks), now);
    this.onState({ status: 'live', checks, rate, checkMs, count: this.count, hold: this.streak.progress(now) });
    if (ready && !this.fired) {
      this.fired = true;
      this.onReady();
      return;
    }
    this.next();
  }

  /** Waits for a video frame newer than the last one sent, then sends it (while fewer than IN_FLIGHT are out). */
  private next(): void {
    if (this.stopped || this.fired || this.waiting || this.inFlight >= IN_FLIGHT) return;
    this.waiting = true;
    const send = () => {
      this.waiting = false;
      void this.send();
    };
    if ('requestVideoFrameCallback' in this.video) this.video.requestVideoFrameCallback(send);
    else requestAnimationFrame(send);
  }

  private async send(): Promise<void> {
    const v = this.video;
    if (this.stopped || this.fired || this.inFlight >= IN_FLIGHT) return;
    if (!v.videoWidth || v.readyState < 2) return this.next();
    this.inFlight++;
    const scale = Math.min(1, FRAME_LONG_SIDE / Math.max(v.videoWidth, v.videoHeight));
    const width = Math.round(v.videoWidth * scale);
    const height = Math.round(v.videoHeight * scale);
    try {
      const bitmap = await createImageBitmap(v, { resizeWidth: width, resizeHeight: height, resizeQuality: 'medium' });
      if (this.stopped) return bitmap.close();
      const message: ToWorker = { bitmap, photoScale: v.videoWidth / width };
      this.worker.postMessage(message, [bitmap]);
    } catch {
      // A frame that could not be grabbed (the stream just ended): try the next one.
      this.inFlight--;
    }
    // The next frame goes out as soon as the camera has one, while this one is analysed.
    this.next();
  }
}
