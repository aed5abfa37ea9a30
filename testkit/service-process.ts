/**
 * The one way tests, benches and scripts start skinsight as a child process (as in production):
 * `serve` or `skinsight worker`, on an ephemeral loopback port. Readiness is the process's IPC
 * message (src/service/ready.ts), never a log sentence; the JSON log lines are kept so that a
 * test can wait for an event it causes (a job held, a scan recovered).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import type { ReadyMessage } from '../src/service/ready.ts';
import { REPO } from './fixtures.ts';

export type LogLine = Record<string, unknown>;

export interface ServiceProcess {
  role: 'api' | 'worker';
  proc: ChildProcess;
  /** The API's base URL, e.g. http://127.0.0.1:41234 (empty for a worker). */
  url: string;
  ready: ReadyMessage;
  /** The JSON log lines so far (the latest few thousand). */
  logs: LogLine[];
  /** Resolves with the first log line (seen or to come) that matches; rejects if the process exits first. */
  waitFor(pred: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<number | null>;
  /** What the process wrote to stderr so far (empty when stderr is inherited). */
  stderr(): string;
  /** SIGTERM (a graceful stop), SIGKILL after graceMs; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  role?: 'api' | 'worker';
  /** On top of this process's environment and the test defaults (NODE_ENV=test, PORT=0, LOG_LEVEL=info). */
  env?: Record<string, string>;
  stderr?: 'pipe' | 'inherit';
  timeoutMs?: number;
  /** Called with every stdout and stderr line (e.g. to print them). */
  echo?: (line: string, stream: 'stdout' | 'stderr') => void;
}

const ENTRY = { api: ['src/service/index.ts'], worker: ['src/cli/main.ts', 'worker'] };
const KEPT_LINES = 5000;

export async function startServiceProcess(options: StartOptions = {}): Promise<ServiceProcess> {
  const role = options.role ?? 'api';
  const proc = spawn(process.execPath, ['--import', 'tsx', ...ENTRY[role]], {
    cwd: REPO,
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe', 'ipc'],
  });
  let stderr = '';
  if (proc.stderr) readline.createInterface({ input: proc.stderr }).on('line', (line) => {
    stderr = (stderr + line + '\n').slice(-50_000);
    options.echo?.(line, 'stderr');
  });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const logs: LogLine[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  readline.createInterface({ input: proc.stdout! }).on('line', (text) => {
    options.echo?.(text, 'stdout');
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      line = { msg: text }; // not a JSON log line (e.g. a dependency's warning)
    }
    logs.push(line);
    if (logs.length > KEPT_LINES) logs.splice(0, 1000);
    for (const w of waiters) {
      if (!w.pred(line)) continue;
      waiters.delete(w);
      w.resolve(line);
    }
  });

  const waitFor = (pred: (l: LogLine) => boolean, timeoutMs = 120_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const found = logs.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`${role}: expected log line not seen in ${timeoutMs} ms\n${stderr}`))), timeoutMs);
      const waiter = { pred, resolve: (l: LogLine) => (clearTimeout(timer), resolve(l)) };
      waiters.add(waiter);
      exited.then((code) => (clearTimeout(timer), reject(new Error(`${role} exited (${code}) before the expected log line\n${stderr}`))));
    });

  const readyOrExit = new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start in ${options.timeoutMs ?? 120_000} ms\n${stderr}`)), options.timeoutMs ?? 120_000);
    timer.unref();
    proc.on('message', (m: ReadyMessage) => {
      if (m?.type !== 'skinsight:ready') return;
      clearTimeout(timer);
      resolve(m);
    });
    exited.then((code) => (clearTimeout(timer), reject(new Error(`${role} exited (${code}) before it was ready\n${stderr}`))));
  });
  // A process that never got ready is not left running behind the failed start.
  const ready = await readyOrExit.catch((err: unknown) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    throw err;
  });
  // The channel is only for the handshake: without it, the child can exit on its own.
  proc.disconnect();

  const stop = async (graceMs = 5000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return exited;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { role, proc, url: ready.url ?? '', ready, logs, waitFor, exited, stderr: () => stderr, stop };
}

/** The API with its data in dataDir (benches, the fuzz test). */
export function spawnService(dataDir: string, env: Record<string, string> = {}, options: Omit<StartOptions, 'role' | 'env'> = {}): Promise<ServiceProcess> {
  return startServiceProcess({ ...options, role: 'api', env: { SKINSIGHT_DATA_DIR: dataDir, ...env } });
}
