/**
 * The browser tests' set-up (test/web.test.ts, test/web-capture.test.ts): the web app built as a
 * deploy builds it, the real service and engine on an ephemeral port with a temporary data
 * folder, and Debian's Chromium (through playwright-core) with a fake camera, console errors
 * collected and every request that leaves the service refused (the offline proof).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, startServer, type RunningServer } from '../src/service/index.ts';
import { REPO } from './fixtures.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'web');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1440, height: 900 };
/** For describe's `skip`: false when Chromium is installed, else why the browser tests are skipped. */
export const skipWithoutChromium = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

export interface WebService {
  server: RunningServer;
  /** The service's data folder (the CLI can be pointed at it). */
  dataDir: string;
  /** A scratch folder for cameras and browser profiles, removed by close(). */
  tmp: string;
  close(): Promise<void>;
}

/**
 * Builds the app (type-checked, by the same script a deploy runs), then starts the service on it
 * with one engine worker and a generous login rate limit (the tests register many accounts).
 */
export async function startWebService(name: string): Promise<WebService> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  execFileSync('npm', ['run', '--silent', 'build:web', '--', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `skinsight-${name}-`));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `skinsight-${name}-chromium-`));
  const server = await startServer(
    loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'error',
      SKINSIGHT_DATA_DIR: dataDir,
      SKINSIGHT_JWT_SECRET: `${name}-test-secret-0123456789`,
      SKINSIGHT_WORKERS: '1',
      SKINSIGHT_RATE_LIMIT_AUTH: '1000',
    }),
  );
  return {
    server,
    dataDir,
    tmp,
    async close() {
      await server.close();
      for (const d of [dataDir, tmp]) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

export interface WebBrowser {
  /** The profile folder: it names this browser's processes. */
  profile: string;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and refused external requests, in order. */
  errors: string[];
}

/** Headless Chromium on its own profile in `profile`, its camera the Y4M file `camera`, allowed for the service's origin. */
export async function launchChromium(service: WebService, profile: string, camera: string, viewport = PHONE): Promise<WebBrowser> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ],
  });
  const { url: origin } = service.server;
  await context.grantPermissions(['camera'], { origin });
  const errors: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  // Offline proof: the app, its worker, models and WebAssembly all come from the service.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    errors.push(`external request: ${url}`);
    return route.abort();
  });
  return { profile, context, page, errors };
}
