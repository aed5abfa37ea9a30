/**
 * Runs `bin/skinsight.js` without blocking the event loop. A blocking spawnSync stalls the test
 * process past the servers' keep-alive timeout (5 s under load): the servers close their idle
 * sockets meanwhile, and the next fetch, handed such a socket before the close is read, fails.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO } from './fixtures.ts';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/skinsight.js'), ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
