/**
 * The web app in a real browser (Debian's Chromium through playwright-core) against the real
 * service on an ephemeral port, with the real engine, a temporary data folder and real photos.
 * Builds the app first (vite, well under a second). Screenshots go to test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { loadConfig, type RunningServer } from '../src/service/index.ts';
import { startServer } from '../src/service/index.ts';
import { FACES, FIXTURES, REPO } from './helpers/fixtures.ts';
import { accountToken } from './helpers/service-process.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'web');
const ADMIN = 'admin@example.org';
const PASSWORD = 'correct horse battery';
const PHONE = { width: 390, height: 844 };

const skip = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

/**
 * A fake camera: Y4M (4:2:0) frames of a fixture photo. Chromium loops the file as the
 * camera's video, so getUserMedia sees a face that holds still.
 */
async function fakeCameraFile(dir: string): Promise<string> {
  const W = 480;
  const H = 640;
  const rgb = await sharp(path.join(FACES, 'obama.jpg')).rotate().resize(W, H, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const y = Buffer.alloc(W * H);
  const u = Buffer.alloc((W / 2) * (H / 2));
  const v = Buffer.alloc((W / 2) * (H / 2));
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = (j * W + i) * 3;
      const [r, g, b] = [rgb[k]!, rgb[k + 1]!, rgb[k + 2]!];
      y[j * W + i] = Math.round(0.257 * r + 0.504 * g + 0.098 * b + 16);
      if (j % 2 === 0 && i % 2 === 0) {
        const c = (j / 2) * (W / 2) + i / 2;
        u[c] = Math.round(-0.148 * r - 0.291 * g + 0.439 * b + 128);
        v[c] = Math.round(0.439 * r - 0.368 * g - 0.071 * b + 128);
      }
    }
  }
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, u, v]);
  const file = path.join(dir, 'camera.y4m');
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: 5 }, () => frame)]));
  return file;
}

/** A digest of the canvas pixels, to tell whether a layer changed what is drawn. */
async function canvasPixels(page: Page): Promise<{ sum: number }> {
  return page.$eval('#overlay-canvas', (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum = (sum + data[i]! * 3 + data[i + 1]! * 5 + data[i + 2]! * 7) % 2147483647;
    return { sum };
  });
}

const LAYER_IDS: Record<string, string> = { Photo: 'photo', 'Landmark mesh': 'mesh', 'Skin regions': 'regions', Findings: 'findings' };

/** Switch a layer by its checkbox and wait until the canvas has been redrawn with it. */
async function setLayer(page: Page, layer: string, on: boolean) {
  await page.getByRole('checkbox', { name: layer }).setChecked(on);
  await page.waitForFunction(
    ([id, want]) => (document.querySelector<HTMLCanvasElement>('#overlay-canvas')!.dataset.layers ?? '').split(' ').includes(id!) === want,
    [LAYER_IDS[layer]!, on] as const,
  );
}

/** Fraction of (sampled) canvas pixel bytes that a layer changes when switched off. */
async function layerDiff(page: Page, layer: string): Promise<number> {
  const grab = () =>
    page.$eval('#overlay-canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 16 === 0));
    });
  const on = await grab();
  await setLayer(page, layer, false);
  const off = await grab();
  await setLayer(page, layer, true);
  let diff = 0;
  for (let i = 0; i < on.length; i++) if (on[i] !== off[i]) diff++;
  return diff / on.length;
}

/** A link of the main navigation (the same words also appear as buttons in screens). */
function nav(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
}

async function shot(page: Page, name: string, fullPage = true) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });
}

async function register(page: Page, email: string) {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
}

async function logIn(page: Page, email: string, password = PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function consent(page: Page, store: boolean) {
  await page.getByLabel('I agree that my photo is analysed').check();
  await page.getByLabel('Keep my photo with the result').setChecked(store);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Take or upload a photo' }).waitFor();
}

/** Every form control has an accessible name (a label, aria-label or aria-labelledby). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.$$eval('input, select, textarea, button', (els) =>
    els
      .filter((el) => {
        const e = el as HTMLInputElement;
        if (e.type === 'hidden') return false;
        const named = (e.labels?.length ?? 0) > 0 || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
        return !named && !(el.tagName === 'BUTTON' && el.textContent?.trim());
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

describe('web app in Chromium', { skip }, () => {
  let server: RunningServer;
  let dataDir: string;
  let tmp: string;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const email = `person-${Date.now()}@example.org`;
  let firstScanUrl = '';

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The app as shipped: type-checked and built by the same script a deploy runs.
    execFileSync('npm', ['run', '--silent', 'build:web', '--', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-web-'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-chromium-'));
    server = await startServer(
      loadConfig({
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'error',
        SKINSIGHT_DATA_DIR: dataDir,
        SKINSIGHT_JWT_SECRET: 'web-test-secret-0123456789',
        SKINSIGHT_WORKERS: '1',
        SKINSIGHT_RATE_LIMIT_AUTH: '1000',
      }),
    );
    const camera = await fakeCameraFile(tmp);
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: PHONE,
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
    await context.grantPermissions(['camera'], { origin: server.url });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    // Offline proof: any request that leaves the service's origin fails the run.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      consoleErrors.push(`external request: ${url}`);
      return route.abort();
    });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    for (const d of [dataDir, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  test('the service serves the app, falls back to it for client routes, and keeps API misses JSON', async () => {
    const root = await fetch(server.url + '/');
    assert.equal(root.status, 200);
    assert.match(await root.text(), /<div id="app">/);
    assert.match(root.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const deep = await fetch(server.url + '/history');
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<div id="app">/);
    const api = await fetch(server.url + '/api/v1/nope');
    assert.equal(api.status, 404);
    assert.equal((await api.json()).error.code, 'NOT_FOUND');
    const missingAsset = await fetch(server.url + '/assets/missing.js');
    assert.equal(missingAsset.status, 404);
  });

  test('register, consent, upload a photo, see the result drawn', async () => {
    await page.goto(server.url + '/');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await shot(page, '01-login');
    await register(page, email);
    await shot(page, '02-consent');
    assert.deepEqual(await unlabelledControls(page), []);
    await consent(page, true);
    await page.locator('input[name=photo]').setInputFiles(path.join(FACES, 'obama.jpg'));
    await page.waitForURL(/#\/scan\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    firstScanUrl = page.url();
    const canvas = page.locator('#overlay-canvas[data-photo=yes]');
    await canvas.waitFor({ timeout: 15_000 });
    assert.equal(await canvas.getAttribute('data-layers'), 'photo mesh regions findings');

    // Each overlay layer really draws: switching it off changes a clear share of the pixels.
    for (const layer of ['Landmark mesh', 'Skin regions', 'Findings']) {
      const changed = await layerDiff(page, layer);
      assert.ok(changed > 0.01, `${layer} changes ${(changed * 100).toFixed(2)} % of the pixels`);
    }
    const before = await canvasPixels(page);
    await setLayer(page, 'Photo', false);
    assert.notEqual((await canvasPixels(page)).sum, before.sum);
    await setLayer(page, 'Photo', true);

    // Findings: tone with its swatch, the measures, the disclaimer; models absent → shown unavailable.
    await page.getByRole('heading', { name: 'Skin tone' }).waitFor();
    assert.match(await page.locator('[data-part=tone]').innerText(), /Monk tone \d+ of 10/);
    assert.equal(await page.locator('.monk li[aria-current=true]').count(), 1);
    for (const part of ['acne', 'condition']) {
      const card = page.locator(`[data-part=${part}]`);
      const unavailable = await card.locator('[data-unavailable]').count();
      const bars = await card.locator('[role=meter]').count();
      assert.ok(unavailable === 1 || bars >= 2, `${part}: either bars or an unavailable notice`);
      if (unavailable) assert.match(await card.innerText(), /Not available\. \S+/);
    }
    assert.match(await page.locator('[data-part=type]').innerText(), /Skin type/);
    assert.match(await page.locator('[data-part=eyes]').innerText(), /Dark circles[\s\S]*Redness/);
    assert.match(await page.locator('.disclaimer').innerText(), /not a medical diagnosis/);
    assert.match(await page.locator('.result-head').innerText(), /photo kept until/);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot(page, '03-result-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await shot(page, '04-result-desktop');
    // Only the overlay, switched to the mesh alone: the layers as a person would isolate them.
    await setLayer(page, 'Skin regions', false);
    await setLayer(page, 'Findings', false);
    await page.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '05-overlay-mesh-only.png') });
    await setLayer(page, 'Skin regions', true);
    await setLayer(page, 'Findings', true);
    await page.setViewportSize(PHONE);
  });

  test('the camera flow: fake camera, face guide, take photo, result', async () => {
    await nav(page, 'New scan').click();
    await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    // Keyboard only: focus lands on the screen's heading, Tab walks the form, Space ticks, Enter submits.
    await page.waitForFunction(() => document.activeElement?.id === 'consent-h');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), 'consent');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement).name), 'store_image');
    if (await page.getByLabel('Keep my photo with the result').isChecked()) await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Take or upload a photo' }).waitFor();
    await page.getByRole('button', { name: 'Use camera' }).click();
    await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return !!v && v.videoWidth > 0 && v.readyState >= 2;
    });
    await page.locator('.camera .guide').waitFor();
    await shot(page, '06-camera');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await page.waitForURL(/#\/scan\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    assert.notEqual(page.url(), firstScanUrl);
    // Not stored on the server, but still in this tab: drawn under the result.
    await page.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 15_000 });
    assert.match(await page.locator('.result-head').innerText(), /photo not kept/);
    assert.ok((await layerDiff(page, 'Landmark mesh')) > 0.01, 'the mesh is drawn on the camera photo');
  });

  test('history: thumbnails, trends, delete a scan', async () => {
    await nav(page, 'History').click();
    const items = page.locator('.scan-item');
    await items.nth(1).waitFor();
    assert.equal(await items.count(), 2);
    // The uploaded photo was kept (thumbnail); the camera photo was not (placeholder).
    await page.locator('.scan-item img.thumb').first().waitFor();
    assert.equal(await page.locator('.scan-item img.thumb').count(), 1);
    assert.equal(await page.locator('.scan-item .thumb.none').count(), 1);
    await page.locator('.trend svg.chart polyline').first().waitFor();
    assert.ok((await page.locator('.trend [data-series]').count()) >= 3, 'several score series are charted');
    await shot(page, '07-history');

    const id = await items.first().getAttribute('data-scan-id');
    await items.first().getByRole('button', { name: 'Delete' }).click();
    await items.first().getByRole('button', { name: 'Delete scan' }).click();
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor();
    assert.equal(await items.count(), 1);
    // Gone on the server too.
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('skinsight.session')!).token as string);
    const res = await fetch(`${server.url}/api/v1/scan/${id}/status`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    // A person who is not an admin sees no dashboard and may not read analytics.
    assert.equal(await nav(page, 'Dashboard').count(), 0);
    const forbidden = await fetch(`${server.url}/api/v1/admin/analytics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(forbidden.status, 403);
  });

  test('an admin sees the dashboard fill after scans', async () => {
    // A second tab of the same profile (a persistent context has no browser to open another in).
    const p = await context.newPage();
    p.on('pageerror', (e) => consoleErrors.push(String(e)));
    await p.goto(server.url + '/');
    await p.evaluate(() => localStorage.clear());
    await p.reload();
    await p.getByRole('heading', { name: 'Log in' }).waitFor();
    // Registering never makes an admin: the operator grants the role with the CLI.
    await accountToken(server.url, ADMIN, PASSWORD);
    // Asynchronously: a synchronous spawn would freeze the in-process server for seconds.
    await promisify(execFile)(process.execPath, ['bin/skinsight.js', 'users', 'grant-admin', ADMIN], {
      cwd: REPO,
      env: { ...process.env, NODE_ENV: 'test', SKINSIGHT_DATA_DIR: dataDir },
    });
    await logIn(p, ADMIN);
    await p.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    await consent(p, false);
    // A phone photo stored sideways with an EXIF orientation: the overlay must sit on the upright face.
    await p.locator('input[name=photo]').setInputFiles(path.join(FACES, 'astronaut-exif6.jpg'));
    await p.waitForURL(/#\/scan\//, { timeout: 60_000 });
    await p.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 15_000 });
    await p.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '07a-overlay-exif-rotated.png') });
    // A photo without a face: the person gets advice they can act on, the dashboard a failure reason.
    await nav(p, 'New scan').click();
    await consent(p, false);
    await p.locator('input[name=photo]').setInputFiles(path.join(FIXTURES, 'non-faces', 'chelsea.png'));
    await p.getByRole('heading', { name: 'The photo could not be analysed' }).waitFor({ timeout: 60_000 });
    assert.equal(await p.locator('[data-code=NO_FACE]').count(), 1);
    await shot(p, '08a-no-face');
    await nav(p, 'Dashboard').click();
    const card = p.locator('.card.version').first();
    await card.waitFor();
    // The person's remaining scan, the admin's two: the deleted one no longer counts.
    const totals = await p.$$eval('[data-kpi=scans]', (els) => els.reduce((a, e) => a + Number(e.textContent), 0));
    assert.equal(totals, 3);
    assert.match(await p.locator('.card.version', { hasText: 'failed before the models ran' }).innerText(), /NO_FACE × 1/);
    assert.ok((await card.locator('table.latency tbody tr').count()) >= 5, 'latency rows per stage');
    assert.match(await card.innerText(), /skin type/i);
    assert.match(await card.innerText(), /end to end/i);
    assert.deepEqual(await unlabelledControls(p), []);
    await p.setViewportSize({ width: 1280, height: 900 });
    await shot(p, '08-dashboard');
    await p.setViewportSize(PHONE);
    await shot(p, '09-dashboard-phone');
    await p.close();
  });

  test('log out ends the session on the server; an ended or expired session says so; a taken e-mail cannot be registered', async () => {
    await page.bringToFront();
    await page.evaluate(() => localStorage.clear());
    await page.goto(server.url + '/#/account');
    await page.reload();
    const errorsBefore = consoleErrors.length;
    await logIn(page, email);
    await page.getByRole('heading', { name: 'Your account', exact: true }).waitFor();
    // Changing the password ends the other sessions (one opened here over the API), not this one.
    const other = (await (await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })).json()).access_token;
    await page.getByLabel('Current password').fill('not it at all');
    await page.getByLabel('New password').fill('a fresh long passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'the current password is wrong' }).waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: /Your password was changed\. [1-9]\d* other sessions? ended\./ }).waitFor();
    assert.equal((await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${other}` } })).status, 401);
    // Back to the old password for the tests after this one.
    await page.getByLabel('Current password').fill('a fresh long passphrase');
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: '0 other sessions ended' }).waitFor();
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('skinsight.session')!).token as string);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('status').filter({ hasText: 'You are logged out.' }).waitFor();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 401, 'the token is refused after logout');

    // A session ended elsewhere (logged out from another device): the next request says so.
    await logIn(page, email);
    await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    const second = await page.evaluate(() => JSON.parse(localStorage.getItem('skinsight.session')!).token as string);
    await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${second}` } });
    await page.goto(server.url + '/#/history');
    await page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();

    // A session that expired while the app was closed.
    await logIn(page, email);
    await page.getByRole('heading', { name: 'History' }).first().waitFor();
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('skinsight.session')!);
      localStorage.setItem('skinsight.session', JSON.stringify({ ...s, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    });
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Your session expired. Please log in again.' }).waitFor();
    await shot(page, '09b-session-expired');

    // Registering a taken e-mail gets the same answer as a free one; the login that follows fails.
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('some other passphrase');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: 'If the e-mail already has one, log in with its password' }).waitFor();
    // A common password is refused with the reason.
    await page.getByLabel('Email').fill(`new-${Date.now()}@example.org`);
    await page.getByLabel('Password').fill('password1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: 'commonly used passwords' }).waitFor();
    await page.getByRole('button', { name: 'Log in' }).last().click();
    // The browser logs each expected 401 (the ended session, the failed login); nothing else.
    const mine = consoleErrors.splice(errorsBefore);
    assert.ok(mine.every((e) => /status of (400|401|403)/.test(e)), mine.join('\n'));
  });

  test('/docs works under its CSP: the interactive docs render, nothing is blocked', async () => {
    const p = await context.newPage();
    const errors: string[] = [];
    p.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    p.on('pageerror', (e) => errors.push(String(e)));
    const res = await p.goto(server.url + '/docs/');
    assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
    await p.locator('.swagger-ui .info .title', { hasText: 'skinsight' }).waitFor({ timeout: 30_000 });
    await p.locator('.opblock-summary-path', { hasText: '/api/v1/auth/logout' }).first().waitFor();
    await shot(p, '11-docs');
    await p.close();
    assert.deepEqual(errors, [], 'no CSP violation or script error');
  });

  test('delete the account', async () => {
    await page.bringToFront();
    await page.evaluate(() => localStorage.clear());
    await page.goto(server.url + '/#/account');
    await page.reload();
    await logIn(page, email);
    await nav(page, 'Account').click();
    await page.getByLabel('I understand').check();
    await page.getByLabel('Your password', { exact: true }).fill(PASSWORD);
    await shot(page, '10-account');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText(/Your account and 1 scan were deleted/).waitFor();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(login.status, 401);
    assert.deepEqual(consoleErrors, []);
  });
});
