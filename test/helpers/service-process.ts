/**
 * The scan service as a child process (as in production) on an ephemeral loopback port, with a
 * data folder of the caller's; resolves once it logs that it is ready. Used by the benches and
 * the fuzz test, which only talk to it over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { REPO } from './fixtures.ts';
import { registerAndLogin } from './http.ts';

export interface ServiceProcess {
  proc: ChildProcess;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  exited: Promise<number | null>;
  /** What the service wrote to stderr so far (empty when stderr is inherited). */
  stderr(): string;
}

export async function spawnService(
  dataDir: string,
  env: Record<string, string> = {},
  options: { stderr?: 'pipe' | 'inherit'; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/service/index.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      // Info level: start-up is detected from the "initialized" log line.
      LOG_LEVEL: 'info',
      SKINSIGHT_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    exited.then((code) => reject(new Error(`service exited (${code})\n${stderr}`)));
    setTimeout(() => reject(new Error('service did not start in time')), options.timeoutMs ?? 120_000).unref();
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const l = JSON.parse(line);
        if (l.msg === 'ML Inference Service initialized successfully') resolve(l.url);
      } catch {
        // Not a JSON log line (e.g. a warning printed by a dependency): ignore it.
      }
    });
  });
  return { proc, url, exited, stderr: () => stderr };
}

/** Register an account, log in, and return the token (benches and the web test). */
export async function accountToken(base: string, email: string, password = 'correct horse battery'): Promise<string> {
  return (await registerAndLogin(base, email, password)).token;
}
