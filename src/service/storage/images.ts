/**
 * Where uploaded images live between upload and analysis (and after, when the user opted in).
 * Local disk under the data directory by default; an object store can implement the same
 * interface for the distributed mode.
 *
 * The local store writes and unlinks with synchronous calls on the event loop, as SQLite's WAL
 * writes already are: each async fs call is a hand-off to the libuv pool and a wake-up back,
 * and an upload's put was four of them (open, write, close, rename). On the 2-core test machine
 * a `?wait=true` upload's put took 3.55 ms wall (median of 30, server-side marks, load 4); the
 * same put synchronously took 0.34 ms, for about the same main-thread CPU (0.18 vs 0.16 ms) and
 * half the process CPU (bench/README.md, "Third pass: thread hand-offs"). The price: a write that
 * the kernel makes wait (page cache full of dirty pages, a slow disk) stalls every request for
 * that long, as a SQLite commit would; an upload is at most SKINSIGHT_UPLOAD_LIMIT_MB (10 MB).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ImageStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when there is no such image. */
  get(key: string): Promise<Uint8Array | null>;
  /** Idempotent: deleting a missing image is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

// Keys are made by the service from UUIDs; anything else is refused so no key escapes the folder.
const KEY_RE = /^[a-z0-9-]+(?:\/[a-z0-9-]+)*$/;

export class LocalImageStore implements ImageStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file a key maps to (tests read it to prove a file is really gone). */
  pathOf(key: string): string {
    if (!KEY_RE.test(key)) throw new Error(`invalid image key: ${key}`);
    return path.join(this.root, key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.pathOf(key);
    // Write then rename: a crash never leaves a half-written file under the final name.
    const tmp = `${file}.${process.pid}.tmp`;
    // Photos are readable by the service's user only (folders 0700, files 0600).
    try {
      try {
        fs.writeFileSync(tmp, bytes, { mode: 0o600 });
      } catch (err) {
        // The folder is made on first use only, not checked on every upload.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(tmp, bytes, { mode: 0o600 });
      }
      fs.renameSync(tmp, file);
    } catch (err) {
      // A failed write (disk full, file-size limit) must not leave part of a face photo on disk.
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await fs.promises.readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    // One unlink (fs.rm would lstat first): a missing file is already deleted.
    try {
      fs.unlinkSync(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }
}

export function imageKeyFor(scanId: string): string {
  return `scans/${scanId}`;
}
