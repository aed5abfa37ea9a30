/** Expands the CLI's file and folder arguments into image paths (folders: recursively, by extension). */
import fs from 'node:fs';
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif']);

export interface InputFile {
  path: string;
  /** Path relative to the folder it was found in (the file name for a file argument). */
  relative: string;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function expandInputs(args: string[]): InputFile[] {
  const out: InputFile[] = [];
  for (const arg of args) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(arg);
    } catch {
      // A missing path is reported per file, like any other bad input.
      out.push({ path: arg, relative: path.basename(arg) });
      continue;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(arg, { recursive: true, withFileTypes: true })) {
        if (!IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue;
        const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
        // Follow symbolic links to files; skip folders and anything else.
        if (!(entry.isFile() || (entry.isSymbolicLink() && isFile(full)))) continue;
        out.push({ path: full, relative: path.relative(arg, full) });
      }
    } else {
      // Files named explicitly are analysed whatever their extension: the format comes from the bytes.
      out.push({ path: arg, relative: path.basename(arg) });
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}
