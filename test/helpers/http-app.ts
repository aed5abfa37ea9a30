/**
 * The service in-process on an ephemeral loopback port, with the real engine pool and a real
 * SQLite database in a temporary data folder, plus small HTTP helpers (security tests).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Analyzer, AnalyzeOptions } from '../../src/engine/api.ts';
import { buildApp, loadConfig, type ServiceConfig } from '../../src/service/index.ts';
import { call as request, registerAndLogin, type CallOptions as RequestOptions } from '../../testkit/http.ts';

export { request, type RequestOptions };
export type { Reply } from '../../testkit/http.ts';

export const SECRET = 'http-app-test-secret-0123456789';
export const PASSWORD = 'correct horse battery';

/** The engine, counting the analyses that really ran (a cache hit does not reach it). */
export class CountingAnalyzer implements Analyzer {
  analyses = 0;
  constructor(private readonly inner: Analyzer) {}
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
  close(): Promise<void>;
}

/** The app on the given analyzer (a CountingAnalyzer over `pool` when given a bare engine). */
export async function startTestApp<A extends Analyzer = CountingAnalyzer>(engine: Analyzer, env: Record<string, string> = {}, wrap?: (engine: Analyzer) => A): Promise<TestApp<A>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-test-'));
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
  const analyzer = wrap ? wrap(engine) : (new CountingAnalyzer(engine) as unknown as A);
  const app = await buildApp(config, { analyzer, clock: () => clock.now ?? new Date(), logger: false });
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
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
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
