/**
 * The camera screen's live guidance in a real browser (Debian's Chromium, its fake camera fed
 * a Y4M made from a fixture photo), against the real service and engine: a dark feed shows
 * "too dark" and is never shot by itself; a good feed is shot by itself and the scan completes;
 * the check rate is read from the page and reported; axe-core (from npm, evaluated in the page)
 * finds no serious or critical violation on either camera state. Screenshots at phone and
 * desktop sizes go to test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig, startServer, type RunningServer } from '../src/service/index.ts';
import { writeFakeCamera } from '../testkit/camera.ts';
import { FACES, REPO } from '../testkit/fixtures.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'web');
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
const AXE = fs.readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'), 'utf8');

const skip = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

/** A fake camera at 30 frames/s (a webcam's rate, so the check rate is not capped by the feed), dimmed by `gain`. */
const fakeCamera = (dir: string, name: string, gain: number) => writeFakeCamera(path.join(FACES, 'biden2.jpg'), path.join(dir, `${name}.y4m`), { gain });

interface Browser {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

async function launch(server: RunningServer, dir: string, camera: string): Promise<Browser> {
  const context = await chromium.launchPersistentContext(path.join(dir, `profile-${path.basename(camera)}`), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: PHONE,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ],
  });
  await context.grantPermissions(['camera'], { origin: server.url });
  const errors: string[] = [];
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  // Offline proof: the worker, its models and its WebAssembly all come from the service.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(server.url) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    errors.push(`external request: ${url}`);
    return route.abort();
  });
  return { context, page, errors };
}

/** Register, consent (photo not kept), start the camera, wait for the live checks. */
async function openCamera(server: RunningServer, page: Page, email: string): Promise<void> {
  await page.goto(server.url + '/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('I agree that my photo is analysed').check();
  await page.getByLabel('Keep my photo with the result').setChecked(false);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Take or upload a photo' }).waitFor();
  await page.getByRole('button', { name: 'Use camera' }).click();
  await page.locator('.camera[data-guidance=live]').waitFor({ timeout: 90_000 });
}

/** axe-core's serious and critical violations on the page as it is now. */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays as served.
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const { violations } = await axe.run(document);
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

async function shots(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
}

describe('live capture guidance in Chromium', { skip }, () => {
  let server: RunningServer;
  let dataDir: string;
  let tmp: string;
  const browsers: Browser[] = [];

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    execFileSync('npm', ['run', '--silent', 'build:web', '--', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-capture-'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-capture-chromium-'));
    server = await startServer(
      loadConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'error',
        SKINSIGHT_DATA_DIR: dataDir,
        SKINSIGHT_JWT_SECRET: 'capture-test-secret-0123456789',
        SKINSIGHT_WORKERS: '1',
        SKINSIGHT_RATE_LIMIT_AUTH: '1000',
      }),
    );
  });

  after(async () => {
    for (const b of browsers) await b.context.close();
    await server?.close();
    for (const d of [dataDir, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the app\'s CSP allows compiling WebAssembly and nothing looser', async () => {
    const csp = (await fetch(server.url + '/')).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    assert.match(csp, /worker-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /'unsafe-eval'|https?:/);
  });

  test('a dark feed shows "too dark" and is not shot by itself; the rate is reported; axe finds nothing serious', async () => {
    const b = await launch(server, tmp, await fakeCamera(tmp, 'dark', 0.12));
    browsers.push(b);
    const { page } = b;
    await openCamera(server, page, `dark-${Date.now()}@example.org`);
    const light = page.locator('.checks li[data-check=light]');
    await page.locator('.checks li[data-check=light][data-ok=no]').waitFor({ timeout: 30_000 });
    assert.match(await light.innerText(), /too dark: turn to the light/i);
    assert.match(await page.locator('.guide-text').innerText(), /too dark/i);
    // Far longer than the one-second hold: still on the camera, nothing uploaded.
    await page.waitForTimeout(4000);
    assert.equal(await page.locator('.camera').getAttribute('data-all-passed'), 'no');
    assert.doesNotMatch(page.url(), /#\/scan\//);
    await page.getByRole('button', { name: 'Take photo' }).waitFor();

    // The rate, over the page's full 2-s window: the dark feed keeps the checks running (every
    // stage runs on it: detection, tracking, the skin mask and the quality measures).
    const rate = Number(await page.locator('.camera').getAttribute('data-checks-per-second'));
    const checkMs = Number(await page.locator('.camera').getAttribute('data-check-ms'));
    assert.ok(rate > 0, `a check rate is reported (${rate}/s)`);
    const load = os.loadavg()[0];
    fs.writeFileSync(path.join(ARTIFACTS, 'capture-rate.json'), JSON.stringify({ checks_per_second: rate, worker_ms_per_check: checkMs, load_average: load, cores: os.cpus().length }) + '\n');
    console.log(`# live checks in headless Chromium: ${rate.toFixed(1)} per second, ${checkMs.toFixed(0)} ms each in the worker (load average ${load.toFixed(1)} on ${os.cpus().length} cores)`);

    assert.deepEqual(await axeViolations(page), []);
    await shots(page, '20-capture-dark');
    assert.deepEqual(b.errors, []);
  });

  test('a good feed passes every check, is shot by itself, and the scan completes', async () => {
    const b = await launch(server, tmp, await fakeCamera(tmp, 'good', 1));
    browsers.push(b);
    const { page } = b;
    await openCamera(server, page, `good-${Date.now()}@example.org`);
    await page.locator('.camera[data-all-passed=yes]').waitFor({ timeout: 30_000 });
    assert.deepEqual(await axeViolations(page), []);
    await page.screenshot({ path: path.join(ARTIFACTS, '21-capture-good-phone.png'), fullPage: true });
    // No click: the photo is taken once the checks have held for about a second.
    await page.waitForURL(/#\/scan\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    await page.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 90_000 });
    assert.deepEqual(b.errors, []);
  });

  test('the desktop camera screen with every check passed (screenshot), no serious axe violation', async () => {
    const b = await launch(server, tmp, await fakeCamera(tmp, 'good-desktop', 1));
    browsers.push(b);
    const { page } = b;
    await page.setViewportSize(DESKTOP);
    await openCamera(server, page, `desk-${Date.now()}@example.org`);
    await page.locator('.camera[data-all-passed=yes]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, '21-capture-good-desktop.png'), fullPage: true });
    assert.deepEqual(await axeViolations(page), []);
    await page.waitForURL(/#\/scan\//, { timeout: 30_000 });
    assert.deepEqual(b.errors, []);
  });
});
