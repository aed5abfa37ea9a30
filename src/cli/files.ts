/** Expands the CLI's file and folder arguments into image paths (folders: recursively, by extension). */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../service/config.ts';
import { EnvSchema } from '../service/env-schema.ts';

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

/** A file argument that cannot be analysed: its output line's code and message. */
export class InputReadError extends Error {
  constructor(
    readonly code: 'FILE_NOT_FOUND' | 'FILE_UNREADABLE' | 'IMAGE_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The largest photo the CLI reads: the service's upload limit (SKINSIGHT_UPLOAD_LIMIT_MB, its one
 * definition in env-schema.ts, default 10 MB), so a photo the CLI analyses the service takes too.
 */
export function inputLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const parsed = EnvSchema.shape.SKINSIGHT_UPLOAD_LIMIT_MB.safeParse(env.SKINSIGHT_UPLOAD_LIMIT_MB || undefined);
  if (!parsed.success) throw new ConfigError(`invalid configuration (1 problem):\n  SKINSIGHT_UPLOAD_LIMIT_MB: ${parsed.error.issues[0]!.message}`);
  return Math.round(parsed.data * 1024 * 1024);
}

/**
 * Reads one input: a regular file of at most `maxBytes`. A device, FIFO or socket named on the
 * command line is refused before it is opened (reading /dev/zero never ends; opening a FIFO waits
 * for a writer), and the read stops one byte past the bound, should the file grow meanwhile.
 */
export async function readInput(file: string, maxBytes: number): Promise<Buffer> {
  const refuse = (error: unknown): never => {
    if (error instanceof InputReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new InputReadError(code, `cannot read ${file}: ${(error as Error).message}`);
  };
  const check = (stat: fs.Stats) => {
    if (!stat.isFile()) throw new InputReadError('FILE_UNREADABLE', `cannot read ${file}: not a regular file`);
    if (stat.size > maxBytes) throw tooLarge();
  };
  const tooLarge = () => new InputReadError('IMAGE_TOO_LARGE', `${file} is over ${maxBytes} bytes (SKINSIGHT_UPLOAD_LIMIT_MB)`);
  let handle: fs.promises.FileHandle | undefined;
  try {
    check(await fs.promises.stat(file));
    // O_NONBLOCK: should a FIFO replace the file after the check, open does not wait for a writer.
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const stat = await handle.stat();
    check(stat);
    // Not Buffer.allocUnsafe: small ones come from a shared pool, and the engine pool transfers `.buffer`.
    let buf = Buffer.alloc(stat.size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) throw tooLarge();
        const bigger = Buffer.alloc(Math.min(n * 2, maxBytes + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) return buf.subarray(0, n);
      n += bytesRead;
    }
  } catch (error) {
    return refuse(error);
  } finally {
    await handle?.close();
  }
}
