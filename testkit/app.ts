/**
 * The one way tests start the service in-process: buildApp on an ephemeral loopback port, with
 * the caller's engine and a real SQLite database in a temporary data folder (or the caller's, to
 * restart on the same data), plus small HTTP helpers over testkit/http.ts. Every error a route
 * answers is checked against the codes it declares (route-errors.ts): close() fails on any other.
 * (testkit/service-process.ts starts it as a child process instead, as in production.)
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { SkinsightError, type Analyzer, type AnalyzeOptions } from '../src/engine/api.ts';
import type { AppDeps } from '../src/service/app.ts';
import { buildApp, loadConfig, type ServiceConfig } from '../src/service/index.ts';
import type { UndeclaredError } from '../src/service/route-errors.ts';
import { call as request, registerAndLogin, type CallOptions as RequestOptions } from './http.ts';
import type { LogLine } from './service-process.ts';

export type { Reply } from './http.ts';

export const SECRET = 'http-app-test-secret-0123456789';
export const PASSWORD = 'correct horse battery';

/**
 * The real engine behind a gate a test can close, counting the analyses that really ran; the next
 * analysis can be made to fail as a crashed engine thread would. Both entry points (analyze, and
 * analyzeText when the engine has it, as the service uses in production) pass the gate.
 */
export class GatedAnalyzer implements Analyzer {
  analyses = 0;
  crashNext = false;
  readonly analyzeText?: Analyzer['analyzeText'];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  constructor(private readonly inner: Analyzer) {
    if (inner.analyzeText) {
      const text = inner.analyzeText.bind(inner);
      this.analyzeText = async (bytes, options, textOptions) => {
        await this.pass();
        return text(bytes, options, textOptions);
      };
    }
  }
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  async analyze(bytes: Uint8Array, options?: AnalyzeOptions) {
    await this.pass();
    return this.inner.analyze(bytes, options);
  }
  info() {
    return this.inner.info();
  }
  async close() {}
  private async pass(): Promise<void> {
    this.analyses++;
    if (this.crashNext) {
      this.crashNext = false;
      throw new SkinsightError('ENGINE_CRASHED', 'the engine thread stopped during the analysis');
    }
    if (this.gate) await this.gate;
  }
}

/** The engine, counting the analyses that really ran (a cache hit does not reach it). */
export class CountingAnalyzer implements Analyzer {
  analyses = 0;
  /** Present when the engine has it (a pool), so that the service takes the path it takes in production. */
  readonly analyzeText?: Analyzer['analyzeText'];
  constructor(private readonly inner: Analyzer) {
    if (inner.analyzeText) {
      this.analyzeText = (bytes, options, text) => {
        this.analyses++;
        return inner.analyzeText!(bytes, options, text);
      };
    }
  }
  async analyze(bytes: Uint8Array, options?: AnalyzeOptions) {
    this.analyses++;
    return this.inner.analyze(bytes, options);
  }
  info() {
    return this.inner.info();
  }
  async close() {}
}

export interface TestApp<A extends Analyzer = CountingAnalyzer> {
  app: FastifyInstance;
  base: string;
  config: ServiceConfig;
  dataDir: string;
  analyzer: A;
  /** Set to move the service's clock (throttle, retention); undefined follows real time. */
  clock: { now?: Date };
  /** The JSON log lines so far (with `logs: true`; else always empty). */
  logs: LogLine[];
  /** Errors a route answered without declaring their code; close() fails when there are any. */
  undeclared: UndeclaredError[];
  /** Closes the app; removes the data folder unless the caller gave it. */
  close(): Promise<void>;
}

export interface TestAppOptions<A extends Analyzer> {
  /** Wraps the engine (default: a CountingAnalyzer); `(e) => e` for the bare engine. */
  wrap?: (engine: Analyzer) => A;
  /** The data folder to use and keep (a restart on the same data); default: a fresh one, removed on close. */
  dataDir?: string;
  /** Keep the JSON log lines at info level in `logs` (default: no logging). */
  logs?: boolean;
  /** Parts to use instead of building them (e.g. a cache). */
  deps?: Omit<AppDeps, 'analyzer' | 'clock' | 'logger' | 'loggerInstance' | 'onUndeclaredError'>;
}

/** The app on the given analyzer (a CountingAnalyzer over it unless `wrap` says otherwise). */
export async function startTestApp<A extends Analyzer = CountingAnalyzer>(engine: Analyzer, env: Record<string, string> = {}, options: TestAppOptions<A> = {}): Promise<TestApp<A>> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SKINSIGHT_DATA_DIR: dataDir,
    SKINSIGHT_JWT_SECRET: SECRET,
    SKINSIGHT_RATE_LIMIT_AUTH: '1000',
    SKINSIGHT_CACHE: 'off',
    ...env,
  });
  const clock: { now?: Date } = {};
  const analyzer = options.wrap ? options.wrap(engine) : (new CountingAnalyzer(engine) as unknown as A);
  const logs: LogLine[] = [];
  const undeclared: UndeclaredError[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  const app = await buildApp(config, {
    ...options.deps,
    analyzer,
    clock: () => clock.now ?? new Date(),
    ...(options.logs ? { loggerInstance: pino({ level: 'info' }, sink) } : { logger: false }),
    onUndeclaredError: (e) => undeclared.push(e),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  return {
    app,
    base: `http://127.0.0.1:${address.port}`,
    config,
    dataDir,
    analyzer,
    clock,
    logs,
    undeclared,
    async close() {
      await app.close();
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
      assert.deepEqual(undeclared, [], 'every error code a route answered is one it declares (config.errors, src/service/route-errors.ts)');
    },
  };
}

export const call = (s: { base: string }, method: string, url: string, opts: RequestOptions = {}) => request(s.base, method, url, opts);

export const login = (s: { base: string }, email: string, password = PASSWORD, headers?: Record<string, string>) =>
  call(s, 'POST', '/api/v1/auth/login', { json: { email, password }, headers });

/** A fresh account, registered (202) then logged in. */
export async function newAccount(s: { base: string }, password = PASSWORD): Promise<{ token: string; id: string; email: string }> {
  const email = `sec-${crypto.randomUUID().slice(0, 12)}@example.org`;
  return { ...(await registerAndLogin(s.base, email, password)), email };
}

/** Init a scan and upload the photo with ?wait=true; returns the scan id and the reply. */
export async function scanPhoto(s: { base: string }, token: string, bytes: Buffer, fields: Record<string, string> = { consent: 'true' }) {
  const init = await call(s, 'POST', '/api/v1/scan/init', { token });
  assert.equal(init.status, 201);
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
  const reply = await call(s, 'POST', `/api/v1/scan/${init.body.scan_id}/upload?wait=true`, { token, form: fd });
  return { id: init.body.scan_id as string, reply };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
