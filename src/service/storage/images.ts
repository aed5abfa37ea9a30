/**
 * Where uploaded images live between upload and analysis (and after, when the user opted in).
 * Local disk under the data directory by default; an object store can implement the same
 * interface for the distributed mode.
 */
import fs from 'node:fs/promises';
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
      await fs.writeFile(tmp, bytes, { mode: 0o600 });
    } catch (err) {
      // The folder is made on first use only, not checked on every upload.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await fs.writeFile(tmp, bytes, { mode: 0o600 });
    }
    await fs.rename(tmp, file);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await fs.readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    // One unlink (fs.rm would lstat first): a missing file is already deleted.
    try {
      await fs.unlink(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }
}

export function imageKeyFor(scanId: string): string {
  return `scans/${scanId}`;
}
