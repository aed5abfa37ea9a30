/**
 * What a decompression bomb costs (bench/bombs.ts), through the CLI and over HTTP:
 *
 *   node --import tsx bench/bombs.bench.ts [--mib 1024]
 *
 * CLI: peak RSS and wall time of `skinsight analyze BOMB` against the same PNG without the
 * chunk. HTTP: per bomb, the response time and the service's RSS growth over its warmed-up
 * state. The bar (issue #9): at most 100 MB and 500 ms more than a plain photo, and a 4xx code.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from '../testkit/command-line.ts';
import sharp from 'sharp';
import { fixture, REPO } from '../testkit/fixtures.ts';
import { watchRss } from '../testkit/rss.ts';
import { deflatedZeros, pngBomb, type BombKind } from './bombs.ts';
import { startServiceChild } from './fuzz.ts';

const { values } = commandLine({ options: { mib: { type: 'string', default: '1024' } } });
const photo = fixture('faces', 'obama-240p.jpg');
const zeros = await deflatedZeros(Number(values.mib) * 1024 * 1024);
const kinds: BombKind[] = ['png-iccp', 'png-ztxt', 'png-itxt-xmp'];
const files: Record<string, Buffer> = { plain: await sharp(photo).resize(320).png().toBuffer() };
for (const kind of kinds) files[kind] = await pngBomb(photo, kind, zeros);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-bombs-bench-'));
const report: Record<string, unknown> = { inflatesToMiB: Number(values.mib) };

for (const [name, bytes] of Object.entries(files)) {
  const file = path.join(dir, `${name}.png`);
  fs.writeFileSync(file, bytes);
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(REPO, 'bin/skinsight.js'), 'analyze', '--quiet', '--workers', '1', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] });
  const rss = watchRss(child.pid!, 5);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('exit', r));
  rss.stop();
  const line = JSON.parse(out);
  report[`cli:${name}`] = { fileKB: Math.round(bytes.length / 1024), exit: code, peakRssMb: Math.round(rss.peakMb()), ms: Math.round(performance.now() - t0), error: line.error?.code ?? null };
}

const svc = await startServiceChild(REPO, fs.mkdtempSync(path.join(dir, 'svc-')), { SKINSIGHT_WORKERS: '1' });
try {
  const post = async (bytes: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'x.png');
    const t0 = performance.now();
    const r = await fetch(`${svc.base}/api/v1/analyze`, { method: 'POST', headers: { 'x-api-key': svc.target.apiKey }, body: form });
    const body = (await r.json()) as { results: { error?: { code: string } }[] };
    return { ms: Math.round(performance.now() - t0), error: body.results[0].error?.code ?? null };
  };
  for (let i = 0; i < 3; i++) await post(files.plain);
  for (const [name, bytes] of Object.entries(files)) {
    const rss = watchRss(svc.proc.pid!, 5);
    const r = await post(bytes);
    rss.stop();
    report[`http:${name}`] = { ...r, rssGrowthMb: Math.round(rss.growthMb()), rssMb: Math.round(rss.peakMb()) };
  }
} finally {
  svc.proc.kill('SIGTERM');
  await svc.exited;
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(report, null, 1));
