/**
 * Decompression bombs (bench/bombs.ts): a PNG whose iCCP profile, zTXt text or compressed iTXt
 * XMP inflates to 512 MiB. Each answers at once, with a clean 4xx code for the profile bomb,
 * and costs at most 100 MB of extra resident memory, through the real CLI and over real HTTP.
 * Before the cap, the profile was inflated in full (1 GiB → 2.3 GB RSS in the CLI).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { deflatedZeros, pngBomb, type BombKind } from '../bench/bombs.ts';
import { startServiceChild } from '../bench/fuzz.ts';
import { fixture, REPO } from '../testkit/fixtures.ts';
import { watchRss } from '../testkit/rss.ts';

const BUDGET_MB = 100;
const KINDS: BombKind[] = ['png-iccp', 'png-ztxt', 'png-itxt-xmp'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-bombs-'));
const bombs = new Map<BombKind, Buffer>();
let plain: Buffer;

before(async () => {
  const photo = fixture('faces', 'obama-240p.jpg');
  const zeros = await deflatedZeros(512 * 1024 * 1024);
  for (const kind of KINDS) bombs.set(kind, await pngBomb(photo, kind, zeros));
  plain = await sharp(photo).resize(320).png().toBuffer();
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Peak RSS of `skinsight analyze FILE` and what it printed. */
async function cliPeak(file: string): Promise<{ peakMb: number; code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/skinsight.js'), 'analyze', '--quiet', '--workers', '1', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] });
  const rss = watchRss(child.pid!, 5);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  rss.stop();
  return { peakMb: rss.peakMb(), code, stdout };
}

test('CLI: the iCCP bomb gives a CORRUPT_IMAGE line and exit 1, within 100 MB of a plain photo', async () => {
  const plainFile = path.join(dir, 'plain.png');
  fs.writeFileSync(plainFile, plain);
  const bombFile = path.join(dir, 'iccp-bomb.png');
  fs.writeFileSync(bombFile, bombs.get('png-iccp')!);
  const base = await cliPeak(plainFile);
  assert.equal(base.code, 0);
  const bomb = await cliPeak(bombFile);
  assert.equal(bomb.code, 1);
  assert.equal(JSON.parse(bomb.stdout).error.code, 'CORRUPT_IMAGE');
  assert.ok(bomb.peakMb - base.peakMb <= BUDGET_MB, `peak ${bomb.peakMb.toFixed(0)} MB vs ${base.peakMb.toFixed(0)} MB for a plain photo`);
});

test('HTTP: every bomb answers (4xx for the profile bomb) and costs at most 100 MB of server memory', async () => {
  const dataDir = fs.mkdtempSync(path.join(dir, 'svc-'));
  const svc = await startServiceChild(REPO, dataDir, { SKINSIGHT_WORKERS: '1' });
  try {
    const analyze = (bytes: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)]), 'x.png');
      return fetch(`${svc.base}/api/v1/analyze`, { method: 'POST', headers: { 'x-api-key': svc.target.apiKey }, body: form });
    };
    const upload = async (bytes: Buffer) => {
      const { token, scanId } = await svc.target.newScan();
      const form = new FormData();
      form.append('consent', 'true');
      form.append('file', new Blob([new Uint8Array(bytes)]), 'x.png');
      return fetch(`${svc.base}/api/v1/scan/${scanId}/upload?wait=true`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    };
    // Warm up: the engine's first analyses allocate what every later one reuses.
    for (let i = 0; i < 3; i++) assert.equal((await analyze(plain)).status, 200);
    const rss = watchRss(svc.proc.pid!, 5);
    for (const [kind, bytes] of bombs) {
      const r = (await (await analyze(bytes)).json()) as { results: { error?: { code: string } }[] };
      if (kind === 'png-iccp') assert.equal(r.results[0].error?.code, 'CORRUPT_IMAGE', kind);
      else assert.equal(r.results[0].error, undefined, `${kind}: the text chunk is ignored, the photo analysed`);
    }
    const scan = await upload(bombs.get('png-iccp')!);
    assert.equal(scan.status, 422);
    assert.equal(((await scan.json()) as { error: { code: string } }).error.code, 'CORRUPT_IMAGE');
    rss.stop();
    assert.ok(rss.growthMb() <= BUDGET_MB, `server RSS grew ${rss.growthMb().toFixed(0)} MB (from ${rss.startMb.toFixed(0)} MB)`);
  } finally {
    svc.proc.kill('SIGTERM');
    await svc.exited;
  }
});
