/**
 * Does the time of register or login tell whether an e-mail has an account? (issue #9, item 12)
 * The server runs as a child process on loopback; requests alternate between the two cases so
 * that load drifts hit both alike. Prints the median and p90 of each case and their difference.
 *
 *   node --import tsx bench/auth.bench.ts [--n 40]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import { accountToken } from '../testkit/http.ts';
import { spawnService } from '../testkit/service-process.ts';

const { values: args } = commandLine({ options: { n: { type: 'string', default: '40' } } });
const n = Number(args.n);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-auth-bench-'));
const svc = await spawnService(dataDir, {
  SKINSIGHT_JWT_SECRET: 'auth-bench-secret-0123456789abcdef',
  SKINSIGHT_WORKERS: '1',
  SKINSIGHT_RATE_LIMIT_AUTH: '0',
  SKINSIGHT_RATE_LIMIT_IP: '0',
});

async function timed(pathname: string, body: object): Promise<{ ms: number; status: number; text: string }> {
  const t0 = performance.now();
  const res = await fetch(`${svc.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { ms: performance.now() - t0, status: res.status, text };
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p90: s[Math.floor(s.length * 0.9)]! };
}

try {
  const taken: string[] = [];
  // Enough accounts that no one of them reaches the per-account throttle (10 failures).
  for (let i = 0; i < Math.ceil(n / 5); i++) {
    const email = `taken-${i}@example.org`;
    await accountToken(svc.url, email);
    taken.push(email);
  }
  const free = (i: number) => `free-${i}-${Date.now()}@example.org`;
  const cases = { 'register, taken e-mail': [] as number[], 'register, free e-mail': [] as number[], 'login, wrong password': [] as number[], 'login, unknown e-mail': [] as number[] };
  const bodies = new Map<string, Set<string>>();
  const record = (name: keyof typeof cases, r: { ms: number; status: number; text: string }) => {
    if (!bodies.has(name)) bodies.set(name, new Set());
    bodies.get(name)!.add(`${r.status} ${r.text}`);
    cases[name].push(r.ms);
  };
  for (let i = 0; i < 3; i++) await timed('/api/v1/auth/login', { email: free(-i), password: 'warm up the hash' });
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0;
    const t = { email: taken[i % taken.length]!, password: 'another passphrase' };
    const f = { email: free(i), password: 'another passphrase' };
    if (order) record('register, taken e-mail', await timed('/api/v1/auth/register', t));
    record('register, free e-mail', await timed('/api/v1/auth/register', f));
    if (!order) record('register, taken e-mail', await timed('/api/v1/auth/register', t));
    const wrong = { email: taken[i % taken.length]!, password: `wrong ${i}` };
    const unknown = { email: `nobody-${i}-${Date.now()}@example.org`, password: `wrong ${i}` };
    if (order) record('login, wrong password', await timed('/api/v1/auth/login', wrong));
    record('login, unknown e-mail', await timed('/api/v1/auth/login', unknown));
    if (!order) record('login, wrong password', await timed('/api/v1/auth/login', wrong));
  }
  for (const [name, xs] of Object.entries(cases)) {
    const s = stats(xs);
    console.log(`${name.padEnd(24)} median ${s.median.toFixed(1)} ms, p90 ${s.p90.toFixed(1)} ms (n=${xs.length}); answers: ${[...bodies.get(name)!].map((b) => b.slice(0, 60)).join(' | ')}`);
  }
  const d = (a: keyof typeof cases, b: keyof typeof cases) => (stats(cases[a]).median - stats(cases[b]).median).toFixed(1);
  console.log(`difference of medians: register ${d('register, taken e-mail', 'register, free e-mail')} ms, login ${d('login, wrong password', 'login, unknown e-mail')} ms`);
} finally {
  svc.proc.kill('SIGTERM');
  await svc.exited;
  fs.rmSync(dataDir, { recursive: true, force: true });
}
