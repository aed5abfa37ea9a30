/**
 * The compose layout under podman on this machine, for `npm run test:container`: builds the local
 * base images (bases.sh) and the skinsight image offline from the npm cache, then starts
 * docker-compose.yml with podman-compose as a fresh project (own network, volumes and secrets),
 * its APIs published on random loopback ports only. Every command has a deadline and a failure
 * throws with the command's output.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const CONTAINERS_CONF = path.join(HERE, 'containers.conf');
const BASE = 'localhost/skinsight-base';
export const IMAGE = 'localhost/skinsight:ci';
const env = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? CONTAINERS_CONF };

export interface RunResult {
  stdout: string;
  code: number | null;
}

/** Runs a command; throws with its output's tail when it fails or passes its deadline. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string>; allowFail?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} could not start: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || opts.allowFail) return resolve({ stdout: out, code });
      const why = signal ? `killed (${signal}) after its ${opts.timeoutMs ?? 120_000} ms deadline` : `exit ${code}`;
      reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${(out + err).slice(-4000)}`));
    });
  });
}

/** Fails with the reason when podman cannot run containers here (never a silent skip). */
export async function preflight(): Promise<void> {
  for (const tool of ['podman', 'podman-compose', 'debootstrap', 'runc']) {
    const found = await run('sh', ['-c', `command -v ${tool}`], { allowFail: true });
    if (found.code !== 0) throw new Error(`${tool} is not installed: apt-get install $(cat scripts/container/requirements-debian.txt)`);
  }
  if (process.getuid?.() !== 0) throw new Error('the container test builds base images with debootstrap and needs root');
  try {
    await run('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { timeoutMs: 60_000 });
  } catch (err) {
    throw new Error(`podman cannot run here: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Base images (cached by their inputs) and the skinsight image from the npm cache, offline. The
 * PostgreSQL and Redis bases (apt, mostly waiting on the mirror) build while the image does.
 */
export async function buildImages(): Promise<{ baseSeconds: number; buildSeconds: number; imageBytes: number }> {
  const t0 = performance.now();
  await run('bash', [path.join(HERE, 'bases.sh'), 'node'], { timeoutMs: 300_000 });
  // The base really runs: runc, the lowered ulimits and this machine's Node inside it.
  await run('podman', ['run', '--rm', '--network', 'none', `${BASE}/node:20`, 'node', '-e', 'process.exit(process.versions.node.startsWith("20.") ? 0 : 1)'], { timeoutMs: 60_000 });
  const services = run('bash', [path.join(HERE, 'bases.sh'), 'services'], { timeoutMs: 420_000 });
  services.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const baseSeconds = (performance.now() - t0) / 1000;
  const npmCache = (await run('npm', ['config', 'get', 'cache'])).stdout.trim();
  const previous = (await run('podman', ['image', 'inspect', '--format', '{{.Id}}', IMAGE], { allowFail: true })).stdout.trim();
  const t1 = performance.now();
  await run('podman', [
    'build', '--format', 'docker', '--network', 'host',
    // The host's npm cache, as an overlay: the build reads it and its writes are thrown away.
    '-v', `${npmCache}:/root/.npm:O`,
    '--build-arg', `BASE=${BASE}/node:20`, '--build-arg', 'NPM_CI_FLAGS=--offline',
    '-t', IMAGE, '.',
  ], { timeoutMs: 600_000 });
  const buildSeconds = (performance.now() - t1) / 1000;
  await services;
  // The image this build replaced would pile up untagged, about 550 MB each time.
  const current = (await run('podman', ['image', 'inspect', '--format', '{{.Id}}', IMAGE])).stdout.trim();
  if (previous && previous !== current) await run('podman', ['rmi', previous], { allowFail: true });
  const imageBytes = Number((await run('podman', ['image', 'inspect', '--format', '{{.Size}}', IMAGE])).stdout.trim());
  return { baseSeconds, buildSeconds, imageBytes };
}

/** Removes what crashed earlier runs left: their volumes and networks, unless still in use. */
export async function removeStale(): Promise<void> {
  const names = async (args: string[]) => (await run('podman', args, { allowFail: true })).stdout.split('\n').filter((n) => n.startsWith('skinsight-ci-'));
  for (const c of await names(['ps', '-a', '--filter', 'status=exited', '--filter', 'status=created', '--format', '{{.Names}}'])) await run('podman', ['rm', c], { allowFail: true });
  for (const v of await names(['volume', 'ls', '--format', '{{.Name}}'])) await run('podman', ['volume', 'rm', v], { allowFail: true });
  for (const n of await names(['network', 'ls', '--format', '{{.Name}}'])) await run('podman', ['network', 'rm', n], { allowFail: true });
}

export interface Stack {
  project: string;
  /** `podman-compose` with this project's file, name and environment. */
  compose(args: string[], timeoutMs?: number): Promise<RunResult>;
  container(service: string, n: number): string;
  /** http://127.0.0.1:PORT of an API replica. */
  apiUrl(n: number): Promise<string>;
  logs(name: string, tail?: number): Promise<string>;
  /** SQL as the skinsight user inside the PostgreSQL container; rows of tab-separated fields. */
  sql(query: string): Promise<string[][]>;
  down(): Promise<void>;
}

export function createStack(): Stack {
  const project = `skinsight-ci-${crypto.randomBytes(4).toString('hex')}`;
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), `${project}-secrets-`));
  fs.rmSync(secrets, { recursive: true });
  const composeEnv = {
    SKINSIGHT_IMAGE: IMAGE,
    SKINSIGHT_NODE_BASE: `${BASE}/node:20`,
    SKINSIGHT_POSTGRES_IMAGE: `${BASE}/postgres:15`,
    SKINSIGHT_REDIS_IMAGE: `${BASE}/redis:7`,
    SKINSIGHT_SECRETS: secrets,
    // Random loopback ports: several runs (and other services) never collide.
    SKINSIGHT_API_PORTS: '127.0.0.1:',
  };
  // Site settings beside the generated secrets: one engine thread per worker; a killed worker's
  // job moves on after 5 s instead of 30.
  const settings = 'SKINSIGHT_WORKERS=1\nSKINSIGHT_JOB_LOCK_MS=5000\n';
  const stack: Stack = {
    project,
    async compose(args, timeoutMs = 180_000) {
      if (!fs.existsSync(secrets)) {
        await run('bash', [path.join(HERE, 'secrets.sh'), secrets]);
        fs.appendFileSync(path.join(secrets, 'skinsight.env'), settings);
      }
      return run('podman-compose', ['-p', project, '-f', path.join(ROOT, 'docker-compose.yml'), ...args], { timeoutMs, env: composeEnv });
    },
    container: (service, n) => `${project}_${service}_${n}`,
    async apiUrl(n) {
      const port = (await run('podman', ['port', stack.container('api', n), '8080/tcp'])).stdout.trim().split('\n')[0]!;
      if (!/^127\.0\.0\.1:\d+$/.test(port)) throw new Error(`api ${n} is published on ${port}, not on a loopback port`);
      return `http://${port}`;
    },
    async logs(name, tail = 40) {
      const r = await run('podman', ['logs', '--tail', String(tail), name], { allowFail: true });
      return r.stdout;
    },
    async sql(query) {
      const r = await run('podman', ['exec', stack.container('postgres', 1), 'psql', '-U', 'skinsight', '-d', 'skinsight', '-tAF', '\t', '-c', query]);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    },
    async down() {
      try {
        await stack.compose(['down', '-v'], 180_000);
      } finally {
        // Whatever compose left (a crashed run, a restarted container): gone by the project's label.
        const label = `io.podman.compose.project=${project}`;
        const ids = (await run('podman', ['ps', '-aq', '--filter', `label=${label}`], { allowFail: true })).stdout.split('\n').filter(Boolean);
        if (ids.length) await run('podman', ['rm', '-f', '-t', '0', ...ids], { allowFail: true });
        for (const v of ['pgdata', 'redisdata']) await run('podman', ['volume', 'rm', '-f', `${project}_${v}`], { allowFail: true });
        await run('podman', ['network', 'rm', '-f', `${project}_default`], { allowFail: true });
        fs.rmSync(secrets, { recursive: true, force: true });
      }
    },
  };
  return stack;
}

/** What is left of a project: containers, volumes and networks that carry its name. */
export async function leftovers(project: string): Promise<string[]> {
  const list = async (args: string[]) => (await run('podman', args, { allowFail: true })).stdout.split('\n').filter((l) => l.includes(project));
  return [
    ...(await list(['ps', '-a', '--format', '{{.Names}}'])),
    ...(await list(['volume', 'ls', '--format', '{{.Name}}'])),
    ...(await list(['network', 'ls', '--format', '{{.Name}}'])),
  ];
}
