/**
 * `skinsight analyze` as the benches run it: over a folder of symbolic links to real photos,
 * one JSON line per photo on stdout. Throughput excludes start-up (model load): it counts from
 * the first result line to the last, (lines − 1) / seconds between them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A temporary folder holding `count` links cycling through `files`; remove it when done. */
export function linkPhotos(files: string[], count: number, tag = 'bench'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `skinsight-${tag}-`));
  for (let i = 0; i < count; i++) {
    const f = files[i % files.length]!;
    fs.symlinkSync(f, path.join(dir, `${String(i).padStart(5, '0')}-${path.basename(f)}`));
  }
  return dir;
}

export interface CliRun {
  photos: number;
  photos_per_s: number;
  exit: number;
}

/** Runs `root`'s CLI over `dir` with `workers` engine threads; onLine sees every output line. */
export function runCli(root: string, dir: string, workers: number, onLine?: (line: string) => void, onStart?: (pid: number) => void): Promise<CliRun> {
  const child = spawn(process.execPath, [path.join(root, 'bin/skinsight.js'), 'analyze', dir, '--quiet', '--workers', String(workers)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onStart?.(child.pid!);
  const times: number[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      times.push(performance.now());
      onLine?.(line);
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      const seconds = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : NaN;
      resolve({ photos: times.length, photos_per_s: (times.length - 1) / seconds, exit: code ?? -1 });
    }),
  );
}
