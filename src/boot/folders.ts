/**
 * The folders an operator names (`analyze --overlay`, `crop --out`, `--models`, the data folder):
 * created or checked here, and refused with one clear line (FolderError) when they cannot be used.
 *
 * Created level by level, not with mkdirSync({ recursive: true }): in Node 20.20 that call never
 * returns for a path under /proc (`node -e "fs.mkdirSync('/proc/x/y', {recursive: true})"` spins:
 * mkdir there answers ENOENT although the parent exists, and the recursive walk retries it). Each
 * missing level is made on its own, so the first refusal is the error, whatever the file system.
 */
import fs from 'node:fs';
import path from 'node:path';

/** An operator's folder that cannot be used: a one-line message, no stack (the CLI exits 2). */
export class FolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FolderError';
  }
}

/** Missing or a "not a folder" component on the way: stat says ENOENT or ENOTDIR. */
function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

/**
 * Make `dir` (and its missing parents, each with `mode`) and check that it is a writable folder.
 * `what` names it in messages: "--overlay", "the data folder (SKINSIGHT_DATA_DIR)".
 */
export function makeFolder(dir: string, what: string, mode?: number): void {
  const missing: string[] = [];
  try {
    // Up to the nearest thing that exists: it must be a folder.
    for (let p = path.resolve(dir); ; p = path.dirname(p)) {
      const stat = statOrNull(p);
      if (stat) {
        if (!stat.isDirectory()) {
          const where = missing.length === 0 ? dir : `${p} (on the way to ${dir})`;
          throw new FolderError(`${what} must be a folder: ${where} is ${stat.isFile() ? 'a file' : 'not a folder'}.`);
        }
        break;
      }
      missing.push(p);
      if (path.dirname(p) === p) break;
    }
    for (const level of missing.reverse()) {
      try {
        fs.mkdirSync(level, mode === undefined ? undefined : { mode });
      } catch (error) {
        // Another process made it in between: fine if it is a folder.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statOrNull(level)?.isDirectory()) throw error;
      }
    }
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    if (error instanceof FolderError) throw error;
    throw new FolderError(`cannot use ${dir} as ${what}: ${(error as Error).message}.`);
  }
}
