/**
 * Upload fuzzing: a seeded stream of hostile requests against a running service, checking that
 * none gets a 5xx and the process stays up. Used by bench/fuzz.bench.ts (≥ 10,000 cases, run
 * by hand) and test/fuzz.test.ts (a few hundred, in the suite).
 *
 * Cases: random bytes; JPEG/PNG/WebP with mutated headers (bit flips, truncation, chunk
 * lengths); huge declared dimensions (65,500² JPEG SOF, 1,000,000² PNG IHDR, 16,383² WebP);
 * broken multipart bodies (no closing boundary, wrong boundary, no boundary parameter, garbage
 * part headers, a part with no name, an oversized header line, an early end); decompression
 * bombs (bench/bombs.ts: PNG metadata chunks that inflate to 256 MiB). The callers also watch
 * the service's memory, so a bomb that is answered correctly but costs a gigabyte still fails.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import sharp from 'sharp';
import { accountToken } from '../testkit/http.ts';
import { spawnService } from '../testkit/service-process.ts';
import { crc32, deflatedZeros, pngBomb, type BombKind } from './bombs.ts';

export interface FuzzCase {
  kind: string;
  /** Path of the request (the analyze endpoint needs the API key header). */
  target: 'analyze' | 'upload';
  contentType: string;
  body: Buffer;
}

/** Seeded generator (xorshift) so a failing case can be replayed. */
export function random(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
  // Neighbouring seeds start alike in xorshift: discard a few draws.
  for (let i = 0; i < 8; i++) next();
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

export interface Seeds {
  jpeg: Buffer;
  png: Buffer;
  webp: Buffer;
  bombs: { kind: BombKind; bytes: Buffer }[];
}

/** Small valid images to mutate (a face photo's JPEG, a PNG and a WebP made from it), and bombs. */
export async function makeSeeds(face: Buffer): Promise<Seeds> {
  const small = sharp(face).resize(160);
  const zeros = await deflatedZeros(256 * 1024 * 1024);
  const kinds: BombKind[] = ['png-iccp', 'png-ztxt', 'png-itxt-xmp'];
  const bombs = await Promise.all(kinds.map(async (kind) => ({ kind, bytes: await pngBomb(face, kind, zeros) })));
  return { jpeg: face, png: await small.clone().png().toBuffer(), webp: await small.clone().webp().toBuffer(), bombs };
}

function hugeJpeg(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  // The first SOF0/SOF2 marker: height and width are the 2 bytes each after length and precision.
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(65500, i + 5);
      out.writeUInt16BE(65500, i + 7);
      break;
    }
  }
  return out;
}

function hugePng(png: Buffer, fixCrc: boolean): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(1_000_000, 16); // IHDR width
  out.writeUInt32BE(1_000_000, 20); // IHDR height
  if (fixCrc) out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

function hugeWebp(webp: Buffer): Buffer {
  const out = Buffer.from(webp);
  const vp8 = out.indexOf('VP8 ');
  // Lossy VP8: 14-bit width/height after the 3-byte frame tag and 3-byte start code.
  if (vp8 > 0 && out.length > vp8 + 8 + 10) {
    out.writeUInt16LE(0x3fff, vp8 + 8 + 6);
    out.writeUInt16LE(0x3fff, vp8 + 8 + 8);
  }
  return out;
}

function mutate(r: ReturnType<typeof random>, src: Buffer): Buffer {
  const out = Buffer.from(src);
  const op = r.int(4);
  if (op === 0) {
    // Bit flips in the header area, where parsers decide sizes.
    for (let i = 0; i < 1 + r.int(8); i++) out[r.int(Math.min(out.length, 512))] ^= 1 << r.int(8);
    return out;
  }
  if (op === 1) return out.subarray(0, r.int(out.length)); // truncated
  if (op === 2) {
    // A random run of bytes overwritten anywhere.
    const at = r.int(out.length);
    r.bytes(Math.min(64, out.length - at)).copy(out, at);
    return out;
  }
  return Buffer.concat([out.subarray(0, 16), r.bytes(r.int(4096))]); // valid magic, garbage after
}

const CRLF = '\r\n';
function multipart(boundary: string, file: Buffer, fields: Record<string, string> = { consent: 'true' }, filename = 'x.jpg'): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; name="${k}"${CRLF}${CRLF}${v}${CRLF}`));
  parts.push(Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; name="file"; filename="${filename}"${CRLF}Content-Type: application/octet-stream${CRLF}${CRLF}`));
  parts.push(file, Buffer.from(`${CRLF}--${boundary}--${CRLF}`));
  return Buffer.concat(parts);
}

/** The i-th case of a seeded run. */
export function fuzzCase(seeds: Seeds, seed: number, i: number): FuzzCase {
  const r = random(seed * 1_000_003 + i);
  const boundary = `----fuzz${crypto.createHash('sha1').update(String(i)).digest('hex').slice(0, 16)}`;
  const ct = `multipart/form-data; boundary=${boundary}`;
  const target: FuzzCase['target'] = r.next() < 0.7 ? 'analyze' : 'upload';
  const file = (kind: string, bytes: Buffer): FuzzCase => ({ kind, target, contentType: ct, body: multipart(boundary, bytes) });
  const pick = r.int(15);
  switch (pick) {
    case 0:
      return file('random-bytes', r.bytes(1 + r.int(20_000)));
    case 1:
      return file('mutated-jpeg', mutate(r, seeds.jpeg));
    case 2:
      return file('mutated-png', mutate(r, seeds.png));
    case 3:
      return file('mutated-webp', mutate(r, seeds.webp));
    case 4:
      return file('huge-jpeg-sof', hugeJpeg(seeds.jpeg));
    case 5:
      return file('huge-png-ihdr', hugePng(seeds.png, r.next() < 0.5));
    case 6:
      return file('huge-webp-vp8', hugeWebp(seeds.webp));
    case 7: {
      const body = multipart(boundary, seeds.png);
      return { kind: 'multipart-no-closing-boundary', target, contentType: ct, body: body.subarray(0, body.length - boundary.length - 8) };
    }
    case 8:
      return { kind: 'multipart-wrong-boundary', target, contentType: `multipart/form-data; boundary=other${boundary}`, body: multipart(boundary, seeds.png) };
    case 9:
      return { kind: 'multipart-no-boundary-param', target, contentType: 'multipart/form-data', body: multipart(boundary, seeds.png) };
    case 10: {
      const junk = Buffer.concat([Buffer.from(`--${boundary}${CRLF}`), r.bytes(1 + r.int(2000)), Buffer.from(`${CRLF}--${boundary}--${CRLF}`)]);
      return { kind: 'multipart-garbage-part', target, contentType: ct, body: junk };
    }
    case 11: {
      const noName = Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data${CRLF}${CRLF}abc${CRLF}--${boundary}--${CRLF}`);
      return { kind: 'multipart-part-without-name', target, contentType: ct, body: noName };
    }
    case 12: {
      const longHeader = Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; name="file"; filename="${'a'.repeat(100_000)}"${CRLF}${CRLF}`);
      return { kind: 'multipart-huge-header', target, contentType: ct, body: Buffer.concat([longHeader, seeds.png, Buffer.from(`${CRLF}--${boundary}--`)]) };
    }
    case 13: {
      const bomb = seeds.bombs[r.int(seeds.bombs.length)];
      return file(`bomb-${bomb.kind}`, bomb.bytes);
    }
    default: {
      const body = multipart(boundary, mutate(r, seeds.jpeg));
      return { kind: 'multipart-cut-short', target, contentType: ct, body: body.subarray(0, r.int(body.length)) };
    }
  }
}

export interface Target {
  base: string;
  apiKey: string;
  /** A bearer token and a fresh pending scan id per upload case. */
  newScan(): Promise<{ token: string; scanId: string }>;
}

/** Send one case with a raw HTTP request (fetch would repair some of the broken bodies). */
export async function send(t: Target, c: FuzzCase): Promise<number> {
  let path = '/api/v1/analyze';
  const headers: Record<string, string> = { 'content-type': c.contentType, 'content-length': String(c.body.length) };
  if (c.target === 'upload') {
    const s = await t.newScan();
    path = `/api/v1/scan/${s.scanId}/upload`;
    headers.authorization = `Bearer ${s.token}`;
  } else {
    headers['x-api-key'] = t.apiKey;
  }
  const url = new URL(path, t.base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    // A server that answers early (413, 415) may close while we still write: that is fine.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve(-1) : reject(err)));
    req.end(c.body);
  });
}

/**
 * Resident memory the fuzz run may add to a warmed-up service: the bar for one bomb is 100 MB,
 * and a few ordinary analyses in flight at once come on top of it.
 */
export const FUZZ_RSS_BUDGET_MB = 150;

/** A few plain analyses first, so the engine's one-off allocations are not counted as growth. */
export async function warmUp(t: Target, seeds: Seeds): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const boundary = `----warm${i}`;
    await send(t, { kind: 'warm-up', target: 'analyze', contentType: `multipart/form-data; boundary=${boundary}`, body: multipart(boundary, i % 2 ? seeds.png : seeds.jpeg) });
  }
}

export interface FuzzReport {
  cases: number;
  byKind: Record<string, Record<string, number>>;
  fiveXX: { i: number; kind: string; status: number }[];
  resets: number;
}

/** Run cases [0, count) of a seed with `concurrency` in flight. */
export async function runFuzz(t: Target, seeds: Seeds, seed: number, count: number, concurrency: number, onProgress?: (done: number) => void): Promise<FuzzReport> {
  const report: FuzzReport = { cases: 0, byKind: {}, fiveXX: [], resets: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const c = fuzzCase(seeds, seed, i);
        const status = await send(t, c);
        report.cases++;
        const k = (report.byKind[c.kind] ??= {});
        k[status] = (k[status] ?? 0) + 1;
        if (status === -1) report.resets++;
        if (status >= 500) report.fiveXX.push({ i, kind: c.kind, status });
        if (report.cases % 500 === 0) onProgress?.(report.cases);
      }
    }),
  );
  return report;
}

/** The service as a child process on an ephemeral port (SQLite in a temp folder), for fuzzing. */
export async function startServiceChild(_root: string, dataDir: string, env: Record<string, string> = {}) {
  const apiKey = 'fuzz-api-key';
  const svc = await spawnService(dataDir, {
    SKINSIGHT_JWT_SECRET: 'fuzz-secret-0123456789abcdef',
    SKINSIGHT_API_KEYS: apiKey,
    SKINSIGHT_RATE_LIMIT_IP: '10000000',
    SKINSIGHT_RATE_LIMIT_USER: '10000000',
    SKINSIGHT_RATE_LIMIT_AUTH: '10000000',
    SKINSIGHT_QUEUE_SIZE: '256',
    ...env,
  });
  const { proc, exited } = svc;
  const base = svc.url;
  // One account for every upload case; each case gets its own pending scan.
  const token = await accountToken(base, `fuzz-${Date.now()}@example.org`);
  const target: Target = {
    base,
    apiKey,
    async newScan() {
      const r = await fetch(`${base}/api/v1/scan/init`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      return { token, scanId: ((await r.json()) as { scan_id: string }).scan_id };
    },
  };
  return { proc, base, target, exited, stderr: svc.stderr };
}
