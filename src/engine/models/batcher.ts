/**
 * Micro-batching: calls that arrive within a short window are merged into one call of the
 * underlying batch function (one ONNX run for several crops), and each caller gets its slice.
 *
 * Where it helps: a worker thread runs several analyses concurrently (the pool gives each thread
 * more than one job), and their model stages interleave at the awaits around ONNX runs; only
 * calls that reach the model stage within the window are merged. The first call of a window
 * waits at most `windowMs`; a full batch (`maxBatch`) runs at once.
 */
export type BatchFn<I, O> = (items: I[]) => Promise<O[]>;

interface Pending<I, O> {
  items: I[];
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Batches run and items through them (the bench reports the mean batch size). */
  readonly stats = { batches: 0, items: 0 };

  constructor(
    private readonly run: BatchFn<I, O>,
    private readonly windowMs: number,
    private readonly maxBatch = 16,
    /** Told the size of every batch run (the service's batch-size histogram). */
    private readonly onBatch?: (size: number) => void,
  ) {
    if (!(windowMs >= 0 && windowMs <= 5)) throw new RangeError('the batch window must be between 0 and 5 ms');
  }

  submit(items: I[]): Promise<O[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queued += items.length;
      if (this.queued >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    if (batch.length === 0) return;
    const all = batch.flatMap((p) => p.items);
    this.stats.batches++;
    this.stats.items += all.length;
    this.onBatch?.(all.length);
    this.run(all).then(
      (out) => {
        let at = 0;
        for (const p of batch) {
          p.resolve(out.slice(at, at + p.items.length));
          at += p.items.length;
        }
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
