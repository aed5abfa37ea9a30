/**
 * WAL checkpoints off the event loop. In WAL mode SQLite copies the log back into the database
 * (a checkpoint) in whichever connection commits past `wal_autocheckpoint` pages (1000 by
 * default), inside that COMMIT: on the service's one connection, that is the HTTP event loop,
 * blocked for the copy and its two fsyncs (35–50 ms per checkpoint on this machine's disk,
 * every few dozen scans: a p99 for every request in flight; bench/README.md).
 *
 * So the service's connection turns automatic checkpoints off and a worker thread with its own
 * connection to the same file runs `PRAGMA wal_checkpoint(PASSIVE)` every CHECKPOINT_INTERVAL_MS.
 * PASSIVE copies what no reader still needs and never blocks readers or the writer
 * (https://sqlite.org/wal.html#ckpt, https://sqlite.org/pragma.html#pragma_wal_checkpoint);
 * the writer restarts the log from its start once a checkpoint has copied all of it, so the
 * file stays at its high-water mark instead of growing.
 *
 * Durability is unchanged: with synchronous=NORMAL a commit is durable across a process crash
 * (it is in the WAL file) and reaches the disk at the next checkpoint's fsync; checkpoints now
 * come within a second of a write instead of after ~4 MB of log, so sooner, not later. If the
 * thread cannot run, the connection goes back to automatic checkpoints.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** How often the thread checkpoints (ms): often enough that the log stays small under load. */
const CHECKPOINT_INTERVAL_MS = 1000;
const MAX_THREAD_ERRORS = 10;
/** SQLite's default, restored if the thread fails. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

// Plain JavaScript (eval'd: no loader needed in the thread); better-sqlite3 is resolved from here.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage({ type: 'error', message: String(err) }); }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stop the thread (its connection closes first). */
  close(): Promise<void>;
}

/**
 * Start the checkpoint thread for the database `file`, whose service connection is `db`.
 * `onError` hears about a failed checkpoint or a thread that died (then `db` checkpoints by itself again).
 */
export function startCheckpointer(
  db: { pragma(source: string): unknown },
  file: string,
  onError: (message: string) => void = () => {},
  intervalMs = CHECKPOINT_INTERVAL_MS,
): Checkpointer {
  db.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { file, intervalMs, module: fileURLToPath(import.meta.resolve('better-sqlite3')) } });
  worker.unref();
  let closed = false;
  const fallBack = (message: string) => {
    if (closed) return;
    closed = true;
    try {
      db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // the connection is already closed
    }
    onError(message);
  };
  // A thread whose checkpoints keep failing (I/O error, a damaged file) would leave the log growing
  // with automatic checkpoints off: after MAX_THREAD_ERRORS failures the connection checkpoints by itself again.
  let errors = 0;
  worker.on('message', (m: { type?: string; message?: string }) => {
    if (m?.type !== 'error') return;
    onError(m.message ?? 'checkpoint failed');
    if (++errors >= MAX_THREAD_ERRORS && !closed) {
      fallBack(`the checkpoint thread failed ${errors} times; automatic checkpoints are back on`);
      worker.postMessage('close');
    }
  });
  worker.on('error', (err) => fallBack(`the checkpoint thread failed: ${err.message}`));
  worker.on('exit', (code) => code !== 0 && fallBack(`the checkpoint thread exited (${code})`));
  return {
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        // Unref'd while it runs; held now, so that a caller awaiting the close is not left behind by an emptied event loop.
        worker.ref();
        worker.postMessage('close');
      });
    },
  };
}
