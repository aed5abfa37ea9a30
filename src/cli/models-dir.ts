/**
 * `--models DIR`: a folder the operator names must be a model folder. The engine treats a
 * missing manifest as "no models" (every ML result unavailable, exit 0), which is right for a
 * deployment without models but silently wrong for a mistyped path given on purpose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FolderError } from '../boot/folders.ts';
import { MANIFEST_FILE as MANIFEST } from '../engine/api.ts';

/** Throws FolderError unless `dir` is a folder holding a manifest; nothing to check when undefined. */
export function checkModelsDir(dir: string | undefined): void {
  if (dir === undefined) return;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    throw new FolderError(`--models must be a model folder: ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (error as Error).message}.`);
  }
  if (!stat.isDirectory()) throw new FolderError(`--models must be a model folder: ${dir} is not a folder.`);
  let manifest: fs.Stats | undefined;
  try {
    manifest = fs.statSync(path.join(dir, MANIFEST), { throwIfNoEntry: false });
  } catch {
    // unreadable: said as missing below
  }
  if (!manifest?.isFile()) {
    throw new FolderError(`--models must be a model folder: ${dir} has no ${MANIFEST}.`);
  }
}
