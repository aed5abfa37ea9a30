/**
 * The camera screen's live guidance in a real browser (Debian's Chromium, its fake camera fed
 * a Y4M made from a fixture photo), against the real service and engine: a dark feed shows
 * "too dark" and is never shot by itself; a good feed is shot by itself and the scan completes;
 * the check rate is read from the page and reported; axe-core (from npm, evaluated in the page)
 * finds no serious or critical violation on either camera state. Screenshots at phone and
 * desktop sizes go to test-artifacts/web/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { writeFakeCamera } from '../testkit/camera.ts';
import { FACES } from '../testkit/fixtures.ts';
import { ARTIFACTS, DESKTOP, launchChromium, PHONE, skipWithoutChromium as skip, startWebService, type WebBrowser, type WebService } from '../testkit/web.ts';

const PASSWORD = 'correct horse battery';
const AXE = fs.readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'), 'utf8');

/** A fake camera at 30 frames/s (a webcam's rate, so the check rate is not capped by the feed), dimmed by `gain`. */
const fakeCamera = (dir: string, name: string, gain: number) => writeFakeCamera(path.join(FACES, 'biden2.jpg'), path.join(dir, `${name}.y4m`), { gain });

/** Chromium with the fake camera `camera`, on a profile of its own in the service's scratch folder. */
const launch = (service: WebService, camera: string) => launchChromium(service, path.join(service.tmp, `profile-${path.basename(camera)}`), camera);

/** Register, consent (photo not kept), start the camera, wait for the live checks. */
async function openCamera(service: WebService, page: Page, email: string): Promise<void> {
  await page.goto(service.server.url + '/');
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

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Fields 3 on of a /proc stat line (after the parenthesised command name, which may hold spaces). */
const statFields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
/** utime + stime (fields 14 and 15, clock ticks of 10 ms: USER_HZ is 100 on every Linux port; proc(5)). */
const ticksOf = (f: string[]) => Number(f[11]) + Number(f[12]);

/**
 * CPU time, in ms, of the Chromium started on `profile` and all its descendants (renderer, GPU,
 * utility processes), from /proc; `worker`: of its dedicated-worker threads alone (Chromium
 * names them "DedicatedWorker thread", cut to 15 characters in /proc/PID/task/TID/comm).
 */
function browserCpuMs(profile: string): { all: number; worker: number } {
  const parent = new Map<number, number>();
  let root = -1;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      parent.set(Number(name), Number(statFields(fs.readFileSync(`/proc/${name}/stat`, 'utf8'))[1]));
      if (root < 0 && fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`--user-data-dir=${profile}\0`)) root = Number(name);
    } catch {
      // The process ended while being read.
    }
  }
  assert.ok(root > 0, `no Chromium process runs on ${profile}`);
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 16; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let all = 0;
  let worker = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      all += ticksOf(statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')));
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
        if (!fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
        worker += ticksOf(statFields(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
      }
    } catch {
      // The process ended while being read.
    }
  }
  return { all: all * 10, worker: worker * 10 };
}

async function shots(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
}

describe('live capture guidance in Chromium', { skip }, () => {
  let service: WebService;
  const browsers: WebBrowser[] = [];

  before(async () => {
    service = await startWebService('capture');
  });

  after(async () => {
    for (const b of browsers) await b.context.close();
    await service?.close();
  });

  test('the app\'s CSP allows compiling WebAssembly and nothing looser', async () => {
    const csp = (await fetch(service.server.url + '/')).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    assert.match(csp, /worker-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /'unsafe-eval'|https?:/);
  });

  test('a dark feed shows "too dark" and is not shot by itself; the rate is reported; axe finds nothing serious', async () => {
    const b = await launch(service, await fakeCamera(service.tmp, 'dark', 0.12));
    browsers.push(b);
    const { page } = b;
    await openCamera(service, page, `dark-${Date.now()}@example.org`);
    const light = page.locator('.checks li[data-check=light]');
    await page.locator('.checks li[data-check=light][data-ok=no]').waitFor({ timeout: 30_000 });
    assert.match(await light.innerText(), /too dark: turn to the light/i);
    assert.match(await page.locator('.guide-text').innerText(), /too dark/i);
    // Far longer than the one-second hold: still on the camera, nothing uploaded.
    await page.waitForTimeout(4000);
    assert.equal(await page.locator('.camera').getAttribute('data-all-passed'), 'no');
    assert.doesNotMatch(page.url(), /#\/scan\//);
    await page.getByRole('button', { name: 'Take photo' }).waitFor();

    // The rate, counted over a 5-s window: checks completed and the CPU time every Chromium process
    // of this browser spent meanwhile (the worker's analysis, the frame grabs, the page; a figure
    // that other load on the machine changes far less than the wall-clock rate). The dark feed
    // keeps every stage running: detection, tracking, the skin mask and the quality measures.
    const camera = page.locator('.camera');
    const sample = async () => ({ at: performance.now(), count: Number(await camera.getAttribute('data-checks-total')), cpu: browserCpuMs(b.profile) });
    const start = await sample();
    await page.waitForTimeout(5000);
    const end = await sample();
    const checks = end.count - start.count;
    const rate = (checks * 1000) / (end.at - start.at);
    const seconds = (end.at - start.at) / 1000;
    const workerCpuMs = end.cpu.worker - start.cpu.worker;
    const workerCpuMsPerCheck = workerCpuMs / checks;
    // The rest of Chromium (the page's thread with its frame grabs, the fake camera's decoding, compositing) per second.
    const otherCpuMsPerSecond = (end.cpu.all - start.cpu.all - workerCpuMs) / seconds;
    const workerMs = Number(await camera.getAttribute('data-check-ms'));
    assert.ok(checks > 0, `checks are counted (${checks} in 5 s)`);
    assert.ok(workerCpuMsPerCheck > 0, 'the capture worker\'s thread is found and measured');
    const load = os.loadavg()[0];
    const figures = {
      checks_per_second: round1(rate),
      // Wall-clock time per check in the worker, as the page reports it (grows with the machine's load).
      worker_ms_per_check: round1(workerMs),
      // The worker thread's CPU time per check: what load on the machine changes least.
      worker_cpu_ms_per_check: round1(workerCpuMsPerCheck),
      // What that allows with a core to itself.
      checks_per_second_on_a_free_core: round1(1000 / workerCpuMsPerCheck),
      other_chromium_cpu_ms_per_second: Math.round(otherCpuMsPerSecond),
      window_s: round1(seconds),
      load_average: round1(load),
      cores: os.cpus().length,
    };
    fs.writeFileSync(path.join(ARTIFACTS, 'capture-rate.json'), JSON.stringify(figures) + '\n');
    console.log(`# live checks in headless Chromium: ${JSON.stringify(figures)}`);
    // The 15 checks per second is a speed target: it is measured here and written to
    // test-artifacts/web/capture-rate.json, not asserted (no timing assertions in tests on shared cores).
    assert.ok(rate > 0 && workerCpuMsPerCheck > 0, 'checks ran and were timed');

    assert.deepEqual(await axeViolations(page), []);
    await shots(page, '20-capture-dark');
    assert.deepEqual(b.errors, []);
  });

  test('a good feed passes every check, is shot by itself, and the scan completes', async () => {
    const b = await launch(service, await fakeCamera(service.tmp, 'good', 1));
    browsers.push(b);
    const { page } = b;
    await openCamera(service, page, `good-${Date.now()}@example.org`);
    await page.locator('.camera[data-all-passed=yes]').waitFor({ timeout: 30_000 });
    assert.deepEqual(await axeViolations(page), []);
    await page.screenshot({ path: path.join(ARTIFACTS, '21-capture-good-phone.png'), fullPage: true });
    // No click: the photo is taken once the checks have held for about a second.
    await page.waitForURL(/#\/scan\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    await page.locator('#overlay-canvas[data-photo=yes]').waitFor({ timeout: 90_000 });
    assert.deepEqual(b.errors, []);
  });

  test('the desktop camera screen with every check passed (screenshot), no serious axe violation', async () => {
    const b = await launch(service, await fakeCamera(service.tmp, 'good-desktop', 1));
    browsers.push(b);
    const { page } = b;
    await page.setViewportSize(DESKTOP);
    await openCamera(service, page, `desk-${Date.now()}@example.org`);
    await page.locator('.camera[data-all-passed=yes]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, '21-capture-good-desktop.png'), fullPage: true });
    assert.deepEqual(await axeViolations(page), []);
    await page.waitForURL(/#\/scan\//, { timeout: 30_000 });
    assert.deepEqual(b.errors, []);
  });
});
