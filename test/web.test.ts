/**
 * The web app in a real browser (Debian's Chromium through playwright-core) against the real
 * service on an ephemeral port, with the real engine, a temporary data folder and real photos.
 * Builds the app first (vite, well under a second). Screenshots go to test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { RunningServer } from '../src/service/index.ts';
import { runCli } from '../testkit/cli.ts';
import { writeFakeCamera } from '../testkit/camera.ts';
import { FACES, FIXTURES, REPO } from '../testkit/fixtures.ts';
import { accountToken } from '../testkit/http.ts';
import { ARTIFACTS, DESKTOP, launchChromium, PHONE, skipWithoutChromium as skip, startWebService, type WebService } from '../testkit/web.ts';

const ADMIN = 'admin@example.org';
const PASSWORD = 'correct horse battery';

/** A fake camera showing obama.jpg, 10 frames/s. */
const fakeCameraFile = (dir: string) => writeFakeCamera(path.join(FACES, 'obama.jpg'), path.join(dir, 'camera.y4m'), { fps: 10, frames: 5 });

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

const LAYER_IDS: Record<string, string> = {
  Photo: 'photo',
  'Landmark mesh': 'mesh',
  'Skin regions': 'regions',
  'Analysed face': 'face',
  Redness: 'redness',
  'Lines and wrinkles': 'wrinkles',
  Texture: 'texture',
  'Dark circles': 'dark_circles',
};
const AXE_SOURCE = fs.readFileSync(path.join(REPO, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * axe-core (from npm, evaluated in the page over the DevTools protocol, so the app's CSP stays
 * as shipped and nothing is fetched) on the page as it is now: zero serious or critical
 * violations. Returns the count of milder ones, for the log.
 */
async function axe(page: Page, state: string): Promise<number> {
  const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!has) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await a.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ')) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe, ${state}: serious or critical violations`);
  axeLog.push(`${state}: ${violations.length ? violations.map((v) => `${v.id} (${v.impact})`).join(', ') : 'none'}`);
  return violations.length;
}
const axeLog: string[] = [];

/** The whole page's text, hidden parts (closed details) and accessible names included. */
async function allText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const attrs = [...document.querySelectorAll('[aria-label], [aria-valuetext], [title], [alt]')].flatMap((el) =>
      ['aria-label', 'aria-valuetext', 'title', 'alt'].map((a) => el.getAttribute(a) ?? ''),
    );
    return `${document.body.textContent ?? ''}\n${attrs.join('\n')}`;
  });
}

/** No result reads as certain: "100 %" (or "100%") nowhere in the page. */
async function assertNoCertainty(page: Page, state: string) {
  const text = await allText(page);
  assert.doesNotMatch(text, /\b100\s?%/, `${state}: "100 %" on the page`);
}


/** Switch a layer by its checkbox and wait until the canvas has been redrawn with it. */
async function setLayer(page: Page, layer: string, on: boolean) {
  await page.getByRole('checkbox', { name: layer, exact: true }).setChecked(on);
  await page.waitForFunction(
    ([id, want]) => (document.querySelector<HTMLCanvasElement>('#overlay-canvas')!.dataset.layers ?? '').split(' ').includes(id!) === want,
    [LAYER_IDS[layer]!, on] as const,
  );
}

/**
 * The overlay's labels as drawn (the canvas' data-labels, in canvas pixels): no two overlap, and
 * each one's centre lies within two label heights (about 33 CSS px) of the box of the area it
 * names. Returns how many were drawn.
 */
async function assertLabelsPlaced(page: Page, state: string): Promise<number> {
  type Box = { x: number; y: number; w: number; h: number };
  const raw = await page.locator('#overlay-canvas').getAttribute('data-labels');
  const labels = JSON.parse(raw ?? '[]') as (Box & { text: string; area: Box })[];
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i]!;
    const [cx, cy] = [a.x + a.w / 2, a.y + a.h / 2];
    const gap = Math.hypot(Math.max(a.area.x - cx, 0, cx - (a.area.x + a.area.w)), Math.max(a.area.y - cy, 0, cy - (a.area.y + a.area.h)));
    // + 1.5 px: the rects are rounded to whole pixels.
    assert.ok(gap <= 2 * a.h + 1.5, `${state}: "${a.text}" is ${gap.toFixed(0)} px from its area (label ${a.h} px high): ${JSON.stringify(a)}`);
    for (let j = i + 1; j < labels.length; j++) {
      const b = labels[j]!;
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `${state}: labels "${a.text}" and "${b.text}" overlap: ${JSON.stringify([a, b])}`);
    }
  }
  return labels.length;
}

/** Fraction of (sampled) canvas pixel bytes that a layer changes, switched on against off (its switch is left as it was). */
async function layerDiff(page: Page, layer: string): Promise<number> {
  const grab = () =>
    page.$eval('#overlay-canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 16 === 0));
    });
  const was = await page.getByRole('checkbox', { name: layer, exact: true }).isChecked();
  await setLayer(page, layer, true);
  const on = await grab();
  await setLayer(page, layer, false);
  const off = await grab();
  await setLayer(page, layer, was);
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
  let service: WebService;
  let server: RunningServer;
  let dataDir: string;
  let context: BrowserContext;
  let page: Page;
  let consoleErrors: string[] = [];
  const email = `person-${Date.now()}@example.org`;
  let firstScanUrl = '';

  before(async () => {
    service = await startWebService('web');
    ({ server, dataDir } = service);
    const camera = await fakeCameraFile(service.tmp);
    ({ context, page, errors: consoleErrors } = await launchChromium(service, path.join(service.tmp, 'profile'), camera));
  });

  after(async () => {
    // The milder axe findings, for the record (serious and critical ones fail where they occur).
    console.log(`axe:\n  ${axeLog.join('\n  ')}`);
    await context?.close();
    await service?.close();
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
    await axe(page, 'login');
    await register(page, email);
    await shot(page, '02-consent');
    await axe(page, 'consent');
    assert.deepEqual(await unlabelledControls(page), []);
    await consent(page, true);
    // Continue on consent: the focus moves to the photo screen's heading, not the page body.
    await page.waitForFunction(() => document.activeElement?.id === 'capture-h');
    await axe(page, 'capture');
    await page.locator('input[name=photo]').setInputFiles(path.join(FACES, 'obama.jpg'));
    await page.waitForURL(/#\/scan\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    firstScanUrl = page.url();
    const canvas = page.locator('#overlay-canvas[data-photo=yes]');
    await canvas.waitFor({ timeout: 15_000 });
    // After the result loads the focus is on its heading.
    await page.waitForFunction(() => document.activeElement?.id === 'result-h');
    assert.equal(await canvas.getAttribute('data-layers'), 'photo redness wrinkles texture dark_circles face');

    // Each overlay layer really draws: switching it on changes a clear share of the pixels.
    for (const layer of ['Landmark mesh', 'Skin regions', 'Redness', 'Lines and wrinkles', 'Texture', 'Dark circles', 'Analysed face']) {
      const changed = await layerDiff(page, layer);
      assert.ok(changed > 0.005, `${layer} changes ${(changed * 100).toFixed(2)} % of the pixels`);
    }
    const before = await canvasPixels(page);
    await setLayer(page, 'Photo', false);
    assert.notEqual((await canvasPixels(page)).sum, before.sum);
    await setLayer(page, 'Photo', true);
    // A legend per concern layer that is on.
    for (const id of ['redness', 'wrinkles', 'texture', 'dark_circles']) assert.equal(await page.locator(`[data-legend=${id}]`).count(), 1, id);
    // No two labels on the photo overlap, with every layer on.
    for (const layer of ['Skin regions', 'Landmark mesh']) await setLayer(page, layer, true);
    assert.ok((await assertLabelsPlaced(page, 'zoomed, every layer on')) >= 4, 'at least four labels drawn');
    await page.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '05-overlay-all-layers.png') });
    for (const layer of ['Skin regions', 'Landmark mesh']) await setLayer(page, layer, false);

    // The summary card comes first, and on a phone the overall score, the concerns and the disclaimer fit above the fold.
    await page.evaluate(() => window.scrollTo(0, 0));
    const summary = page.locator('[data-part=summary]');
    const overall = summary.locator('[data-score=overall] [role=meter]');
    assert.equal(await overall.getAttribute('aria-valuemin'), '0');
    assert.equal(await overall.getAttribute('aria-valuemax'), '100');
    assert.match((await overall.getAttribute('aria-valuetext')) ?? '', /^\d{1,3} of 100, (excellent|great|good|average|poor|bad)/);
    const concerns = summary.locator('[data-concern]');
    const ok = await summary.locator('.ok').count();
    assert.ok((await concerns.count()) >= 1 || ok === 1, 'concerns listed, or none stands out');
    for (const c of await concerns.all()) {
      assert.match((await c.getAttribute('data-band')) ?? '', /^(average|poor|bad)$/);
      assert.match(await c.innerText(), /\w+.*\(\d+\/100, \w+\)/);
    }
    assert.match(await summary.locator('.disclaimer').innerText(), /not a medical diagnosis/);
    const fold = await summary.locator('.disclaimer').boundingBox();
    assert.ok(fold, 'the disclaimer is laid out');
    assert.ok(fold.y + fold.height <= PHONE.height, `the disclaimer ends at ${fold.y + fold.height} px, the phone screen at ${PHONE.height}`);
    assert.ok((await summary.boundingBox())!.y < (await page.locator('.overlay').boundingBox())!.y, 'the summary comes before the photo');

    // One scale for every score: 0–100 meters with a band, the marker where the value is.
    const meters = page.locator('[data-part=scores] [role=meter]');
    assert.ok((await meters.count()) >= 5, 'a scale per score');
    for (const m of await meters.all()) {
      assert.equal(await m.getAttribute('aria-valuemin'), '0');
      assert.equal(await m.getAttribute('aria-valuemax'), '100');
      const v = Number(await m.getAttribute('aria-valuenow'));
      assert.ok(v >= 0 && v <= 100);
      const left = await m.locator('.marker').evaluate((el) => (el as HTMLElement).style.left);
      assert.equal(left, `${v}%`);
    }
    // Raw values only behind the details disclosure.
    const details = page.locator('details[data-part=details]');
    assert.equal(await details.getAttribute('open'), null);
    assert.equal(await page.locator('[data-part=acne]').isVisible(), false);

    // Skin tone: a labelled swatch and the Monk scale with estimate and range, or "retake in daylight".
    const tone = page.locator('[data-part=tone]');
    await tone.waitFor();
    const toneText = await tone.innerText();
    if ((await tone.locator('[data-tone=reliable]').count()) === 1) {
      assert.match(toneText, /Monk tone \d+ of 10/);
      assert.match(toneText, /Range across your face: \d+ to \d+|The same tone on every measured area/);
      assert.equal(await page.locator('.monk li[aria-current=true]').count(), 1);
    } else {
      assert.match(toneText, /Retake in daylight/);
      assert.equal(await page.locator('.monk li[aria-current=true]').count(), 0);
    }
    assert.match(await page.locator('.result-head').innerText(), /photo kept until/);
    assert.deepEqual(await unlabelledControls(page), []);
    await assertNoCertainty(page, 'result');
    await axe(page, 'result, phone');
    await shot(page, '03-result-phone-fold', false);
    await shot(page, '03-result-phone');

    // The details: model outputs in likelihood words, the number beside them; the measures.
    await details.locator('summary').click();
    for (const part of ['acne', 'condition']) {
      const card = page.locator(`[data-part=${part}]`);
      const unavailable = await card.locator('[data-unavailable]').count();
      const bars = await card.locator('[role=meter]').count();
      assert.ok(unavailable === 1 || bars >= 2, `${part}: either bars or an unavailable notice`);
      if (unavailable) assert.match(await card.innerText(), /Not available\. \S+/);
      else assert.match(await card.innerText(), /(unlikely|possible|likely|very likely)/);
    }
    assert.match(await page.locator('[data-part=type]').innerText(), /Skin type/);
    assert.match(await page.locator('[data-part=eyes]').innerText(), /Dark circles[\s\S]*Redness/);
    await assertNoCertainty(page, 'result with details open');
    await axe(page, 'result, details open');
    await details.locator('summary').click();

    // Desktop: the layer switches and the photo are on screen together, without scrolling.
    await page.setViewportSize(DESKTOP);
    await page.locator('.overlay').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.evaluate(() => window.scrollBy(0, -80));
    for (const sel of ['fieldset.layers', '#overlay-canvas']) {
      const box = (await page.locator(sel).boundingBox())!;
      assert.ok(box.y >= 0 && box.y + box.height <= DESKTOP.height, `${sel} spans ${box.y}–${box.y + box.height} px of ${DESKTOP.height}`);
    }
    await shot(page, '04-result-desktop-overlay', false);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, '04-result-desktop-fold', false);
    await shot(page, '04-result-desktop');
    await axe(page, 'result, desktop');
    // Only the overlay, switched to the mesh alone: the layers as a person would isolate them.
    for (const layer of ['Redness', 'Lines and wrinkles', 'Texture', 'Dark circles']) await setLayer(page, layer, false);
    await setLayer(page, 'Landmark mesh', true);
    await page.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '05-overlay-mesh-only.png') });
    for (const layer of ['Redness', 'Lines and wrinkles', 'Texture', 'Dark circles']) await setLayer(page, layer, true);
    await setLayer(page, 'Landmark mesh', false);
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
    await page.waitForFunction(() => document.activeElement?.id === 'capture-h');
    await page.getByRole('button', { name: 'Use camera' }).click();
    await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return !!v && v.videoWidth > 0 && v.readyState >= 2;
    });
    await page.locator('.camera .guide').waitFor();
    await shot(page, '06-camera');
    await axe(page, 'camera on');
    await page.getByRole('button', { name: 'Take photo' }).click();
    await page.waitForURL(/#\/scan\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    assert.notEqual(page.url(), firstScanUrl);
    // Not stored on the server, but still in this tab: drawn under the result.
    await page.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 15_000 });
    assert.match(await page.locator('.result-head').innerText(), /photo not kept/);
    assert.ok((await layerDiff(page, 'Landmark mesh')) > 0.01, 'the mesh is drawn on the camera photo');
  });

  test('history: thumbnails, one chart per score, compare two scans, delete a scan', async () => {
    await nav(page, 'History').click();
    const items = page.locator('.scan-item');
    await items.nth(1).waitFor();
    assert.equal(await items.count(), 2);
    // The uploaded photo was kept (thumbnail); the camera photo was not (placeholder).
    await page.locator('.scan-item img.thumb').first().waitFor();
    assert.equal(await page.locator('.scan-item img.thumb').count(), 1);
    assert.equal(await page.locator('.scan-item .thumb.none').count(), 1);

    // One small chart per score, each on 0–100, with date and time on the axis and the change since the last scan.
    const charts = page.locator('.trend [data-chart]');
    await charts.first().waitFor();
    assert.ok((await charts.count()) >= 5, 'a chart per score');
    assert.equal(await page.locator('.trend [data-chart=overall]').count(), 1);
    for (const c of await charts.all()) {
      const axis = await c.locator('text.axis').allTextContents();
      assert.deepEqual(axis.slice(0, 3), ['0', '50', '100']);
      const ticks = await c.locator('text[data-tick]').allTextContents();
      assert.equal(ticks.length, 2);
      for (const t of ticks) assert.match(t, /\d{1,2}:\d{2}/, `a time on the axis: ${t}`);
      const change = c.locator('.change');
      if (await change.count()) {
        const real = await change.getAttribute('data-real');
        assert.match(await change.innerText(), real === 'true' ? /a real change/ : /within normal variation|^no change/);
      }
    }
    assert.ok((await page.locator('.trend .change').count()) >= 3, 'changes since the last scan are marked');
    assert.ok((await page.locator('.trend .change', { hasText: 'within normal variation' }).count()) >= 1, 'a small change reads as normal variation');

    // The numbers table scrolls sideways on a phone: a keyboard reaches it.
    await page.locator('.trend details summary').click();
    const table = page.locator('.trend .table-scroll');
    assert.equal(await table.getAttribute('tabindex'), '0');
    await page.locator('.trend details summary').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('table-scroll')), true, 'Tab reaches the table');
    const scrolled = await table.evaluate((el) => {
      el.scrollLeft = 0;
      return el.scrollWidth > el.clientWidth;
    });
    if (scrolled) {
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction(() => document.querySelector('.trend .table-scroll')!.scrollLeft > 0);
    }

    // Compare: the two scans side by side, each change judged against the minimal detectable change.
    const compare = page.locator('.compare');
    await compare.waitFor();
    assert.equal(await compare.locator('select').count(), 2);
    const rows = compare.locator('tbody tr[data-real]');
    assert.ok((await rows.count()) >= 5);
    for (const r of await rows.all()) {
      assert.match(await r.innerText(), (await r.getAttribute('data-real')) === 'true' ? /a real change/ : /within normal variation|no change/);
    }
    assert.equal(await compare.locator('.compare-photos img').count(), 1, 'the kept photo beside the placeholder');
    // Swapping the two scans turns the sign of every change.
    const firstChange = await rows.first().locator('td').last().innerText();
    const [aId, bId] = (await compare.getAttribute('data-compare'))!.split(' ');
    await compare.locator('select[name=compare-a]').selectOption(bId!);
    await compare.locator('select[name=compare-b]').selectOption(aId!);
    const swapped = await rows.first().locator('td').last().innerText();
    if (!/no change/.test(firstChange)) assert.notEqual(swapped[0], firstChange[0]);
    await assertNoCertainty(page, 'history');
    await axe(page, 'history, phone');
    await shot(page, '07-history');
    await page.setViewportSize(DESKTOP);
    await shot(page, '07-history-desktop');
    await axe(page, 'history, desktop');
    await page.setViewportSize(PHONE);

    // Escape cancels a delete confirmation, and the focus returns to the button that asked.
    const id = await items.first().getAttribute('data-scan-id');
    await items.first().getByRole('button', { name: 'Delete' }).click();
    await items.first().getByRole('button', { name: 'Delete scan' }).waitFor();
    await page.keyboard.press('Escape');
    await items.first().getByRole('button', { name: 'Delete', exact: true }).waitFor();
    assert.equal(await items.first().getByRole('button', { name: 'Delete scan' }).count(), 0);
    await page.waitForFunction(() => document.activeElement?.textContent === 'Delete', undefined, { timeout: 5000 });
    // Cancel does the same.
    await items.first().getByRole('button', { name: 'Delete' }).click();
    await items.first().getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() => document.activeElement?.textContent === 'Delete', undefined, { timeout: 5000 });
    assert.equal(await items.count(), 2);

    await items.first().getByRole('button', { name: 'Delete' }).click();
    await items.first().getByRole('button', { name: 'Delete scan' }).click();
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor();
    assert.equal(await items.count(), 1);
    // The row is gone, and the focus is on the history's heading, not the page body.
    await page.waitForFunction(() => document.activeElement?.id === 'history-h');
    // Gone on the server too.
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('skinsight.session')!).token as string);
    const res = await fetch(`${server.url}/api/v1/scan/${id}/status`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 404);
    // A person who is not an admin sees no dashboard and may not read analytics.
    assert.equal(await nav(page, 'Dashboard').count(), 0);
    const forbidden = await fetch(`${server.url}/api/v1/admin/analytics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(forbidden.status, 403);
  });

  test('the scan flow: the logo restarts it, a refused or too large photo leaves no pending scan, an ended session says so and comes back', async () => {
    // The logo link works mid-flow: back to consent.
    await nav(page, 'New scan').click();
    await consent(page, false);
    await page.locator('a.brand').click();
    await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'consent-h');

    // Over 10 MB: refused in the browser, before anything is sent.
    await consent(page, false);
    const sent: string[] = [];
    const onRequest = (r: { url: () => string; method: () => string }) => r.method() === 'POST' && sent.push(r.url());
    page.on('request', onRequest);
    await page.locator('input[name=photo]').setInputFiles({ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0xff) });
    await page.getByRole('heading', { name: 'The photo could not be analysed' }).waitFor();
    assert.equal(await page.locator('[data-code=IMAGE_TOO_LARGE]').count(), 1);
    assert.match(await page.locator('[data-code=IMAGE_TOO_LARGE]').innerText(), /over 10 MB/);
    page.off('request', onRequest);
    assert.deepEqual(sent, [], 'nothing was uploaded');
    await page.waitForFunction(() => document.activeElement?.id === 'failed-h');
    await axe(page, 'photo refused');
    await shot(page, '08b-too-large');

    // Not a photo: the service refuses it (415), and History shows no pending row for it.
    await page.getByRole('button', { name: 'Try another photo' }).click();
    const refusedAt = consoleErrors.length;
    await page.locator('input[name=photo]').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('plain text, not a photo') });
    await page.getByRole('heading', { name: 'The photo could not be analysed' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-code=UNSUPPORTED_FORMAT]').count(), 1);
    // The browser logs the expected 415; nothing else.
    const refused = consoleErrors.splice(refusedAt);
    assert.ok(refused.every((e) => /status of 415/.test(e)), refused.join('\n'));
    await nav(page, 'History').click();
    await page.locator('.scan-item').first().waitFor();
    assert.equal(await page.locator('.scan-item').count(), 1);
    assert.equal(await page.locator('.scan-item', { hasText: 'pending' }).count(), 0);

    // The session ends on the server between starting the scan and the upload (the real service's
    // 401 on the upload request, which used to end as a bare error): the app says so, and after
    // logging in the person is back on the scan flow.
    await nav(page, 'New scan').click();
    await consent(page, false);
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('skinsight.session')!).token as string);
    await page.route('**/api/v1/scan/*/upload', async (route) => {
      await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      await route.continue();
    });
    const errorsBefore = consoleErrors.length;
    await page.locator('input[name=photo]').setInputFiles(path.join(FACES, 'obama.jpg'));
    await page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.unroute('**/api/v1/scan/*/upload');
    await logIn(page, email);
    await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    assert.match(page.url(), /#\/scan$/);
    // The scan that never got its photo is not in the history.
    await nav(page, 'History').click();
    await page.locator('.scan-item').first().waitFor();
    assert.equal(await page.locator('.scan-item').count(), 1);
    const mine = consoleErrors.splice(errorsBefore);
    assert.ok(mine.every((e) => /status of 401/.test(e)), mine.join('\n'));
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
    const grant = await runCli(['users', 'grant-admin', ADMIN], { NODE_ENV: 'test', SKINSIGHT_DATA_DIR: dataDir });
    assert.equal(grant.status, 0, grant.stderr);
    await logIn(p, ADMIN);
    await p.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    await consent(p, false);
    // A phone photo stored sideways with an EXIF orientation: the overlay must sit on the upright face.
    await p.locator('input[name=photo]').setInputFiles(path.join(FACES, 'astronaut-exif6.jpg'));
    await p.waitForURL(/#\/scan\//, { timeout: 60_000 });
    await p.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 15_000 });
    await p.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '07a-overlay-exif-rotated.png') });
    // A photo with two faces says which one was analysed, in the summary and on the photo.
    await nav(p, 'New scan').click();
    await consent(p, false);
    await p.locator('input[name=photo]').setInputFiles(path.join(FACES, 'two_people.jpg'));
    await p.waitForURL(/#\/scan\//, { timeout: 60_000 });
    await p.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 15_000 });
    assert.match(await p.locator('[data-faces]').innerText(), /2 faces were found in this photo; only the largest one .* was analysed/);
    await p.getByRole('checkbox', { name: 'Zoom to the face' }).uncheck();
    await p.locator('#overlay-canvas[data-zoom=false]').waitFor();
    // Unzoomed, the face is small and its labels crowd: each stays by its area or is left out.
    await setLayer(p, 'Skin regions', true);
    assert.ok((await assertLabelsPlaced(p, 'two faces, unzoomed, regions on')) >= 1, 'the analysed face is labelled');
    await p.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '07c-overlay-two-faces-regions.png') });
    await setLayer(p, 'Skin regions', false);
    assert.ok((await assertLabelsPlaced(p, 'two faces, unzoomed')) >= 1, 'the analysed face is labelled');
    await p.locator('.overlay').screenshot({ path: path.join(ARTIFACTS, '07b-overlay-two-faces.png') });
    await assertNoCertainty(p, 'two-face result');
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
    // The person's remaining scan and the one whose upload the ended session cut off (pending, counted
    // until the retention job removes it), the admin's three; the deleted and the refused ones no longer count.
    const totals = await p.$$eval('[data-kpi=scans]', (els) => els.reduce((a, e) => a + Number(e.textContent), 0));
    assert.equal(totals, 5);
    assert.match(await p.locator('.card.version', { hasText: 'failed before the models ran' }).innerText(), /NO_FACE × 1/);
    assert.ok((await card.locator('table.latency tbody tr').count()) >= 5, 'latency rows per stage');
    assert.match(await card.innerText(), /skin type/i);
    assert.match(await card.innerText(), /end to end/i);
    assert.deepEqual(await unlabelledControls(p), []);
    await axe(p, 'dashboard');
    await p.setViewportSize(DESKTOP);
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
    await axe(page, 'session expired');
    // Logging in again returns to where the person was.
    await logIn(page, email);
    await page.getByRole('heading', { name: 'Your history' }).waitFor();
    assert.match(page.url(), /#\/history$/);
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('skinsight.session')!);
      localStorage.setItem('skinsight.session', JSON.stringify({ ...s, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();

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

  test('"keep my photo" belongs to one account: the next account in this browser starts with it off, and deleting an account forgets it', async () => {
    await page.bringToFront();
    await page.evaluate(() => localStorage.clear());
    await page.goto(server.url + '/');
    await page.reload();
    const keep = page.getByLabel('Keep my photo with the result');
    const logOut = async () => {
      await nav(page, 'Account').click();
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
    };
    await logIn(page, email);
    await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    await consent(page, true);
    await logOut();
    // Someone else in the same browser: their own choice, off by default.
    const other = `other-${Date.now()}@example.org`;
    await register(page, other);
    assert.equal(await keep.isChecked(), false, 'another account starts with "keep my photo" off');
    await consent(page, true);
    // Deleting that account leaves nothing of its choice in the browser.
    await nav(page, 'Account').click();
    await page.getByLabel('I understand').check();
    await page.getByLabel('Your password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    const stored = await page.evaluate(() => Object.entries(localStorage).map(([k, v]) => `${k}=${v}`).join('\n'));
    assert.doesNotMatch(stored, new RegExp(other.replace(/[.]/g, '\\.'), 'i'), 'the deleted account\'s choice is gone');
    // The first account still finds its own choice.
    await logIn(page, email);
    await page.getByRole('heading', { name: 'Before you take a photo' }).waitFor();
    assert.equal(await keep.isChecked(), true, 'the first account keeps its own choice');
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
    await axe(page, 'account');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByText(/Your account and 2 scans were deleted/).waitFor();
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
