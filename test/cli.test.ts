/**
 * The `skinsight` command as a person runs it: one JSON line per input, a line with an error
 * code for a bad file, a one-line message on stderr, a non-zero exit code, overlays on request.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { FACES, NON_FACES, REPO } from '../testkit/fixtures.ts';

const run = promisify(execFile);
const BIN = path.join(REPO, 'bin', 'skinsight.js');

/** `timeout`: a run that hangs is killed (SIGTERM → 143) instead of stalling the suite. */
async function skinsight(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: REPO, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, timeout: opts.timeout ?? 0 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };
    // A signal death reads as the shell shows it (SIGSEGV → 139).
    const code = e.code ?? 128 + os.constants.signals[e.signal!];
    return { code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('analyze prints one JSON result per file, with its source, and exits 0', async () => {
  const files = ['obama.jpg', 'sergey.png'].map((f) => path.join(FACES, f));
  const { code, stdout, stderr } = await skinsight(['analyze', ...files]);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.deepEqual(lines.map((l) => l.source).sort(), files.sort());
  for (const line of lines) {
    assert.equal(line.face.landmarks.length, 468);
    assert.ok('acne_analysis' in line.ml_analysis);
    assert.match(line.disclaimer, /not a medical diagnosis/);
  }
});

test('a bad file gives an error line, a one-line message and exit code 1, and the others still work', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-cli-'));
  const text = path.join(dir, 'notes.jpg');
  fs.writeFileSync(text, 'not an image\n');
  const { code, stdout, stderr } = await skinsight(['analyze', text, path.join(NON_FACES, 'truncated.jpg'), path.join(NON_FACES, 'chelsea.png'), path.join(FACES, 'obama.jpg')]);
  assert.equal(code, 1);
  const bySource = new Map(stdout.trim().split('\n').map((l) => JSON.parse(l)).map((l) => [path.basename(l.source), l]));
  assert.equal(bySource.get('notes.jpg').error.code, 'UNSUPPORTED_FORMAT');
  assert.equal(bySource.get('truncated.jpg').error.code, 'CORRUPT_IMAGE');
  assert.equal(bySource.get('chelsea.png').error.code, 'NO_FACE');
  assert.ok(bySource.get('obama.jpg').face);
  const messages = stderr.trim().split('\n').filter((l) => l.startsWith('skinsight:'));
  assert.equal(messages.length, 3);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
});

test('a missing file is reported, not thrown', async () => {
  const { code, stdout, stderr } = await skinsight(['analyze', '/nonexistent/photo.jpg']);
  assert.equal(code, 1);
  assert.equal(JSON.parse(stdout).error.code, 'FILE_NOT_FOUND');
  assert.doesNotMatch(stderr, /\n\s+at /);
});

/**
 * 2,000 paths of 100 characters: 3 symlinks to real photos, the rest missing files. The engine
 * starts either way (ONNX Runtime 1.30 crashed with SIGSEGV at its first session when argv
 * passed ~29 KB; see src/boot/ort-telemetry.ts).
 */
function longPathList(): { paths: string[]; real: Set<string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-argv-'));
  const paths: string[] = [];
  const real = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const head = path.join(dir, `p${String(i).padStart(4, '0')}-`);
    const p = head + 'x'.repeat(100 - head.length - 4) + '.jpg';
    assert.equal(p.length, 100);
    if (i % 700 === 0) {
      fs.symlinkSync(path.join(FACES, 'obama-240p.jpg'), p);
      real.add(p);
    }
    paths.push(p);
  }
  return { paths, real };
}

function checkLongRun(code: number, stdout: string, real: Set<string>) {
  assert.notEqual(code, 139, 'no segfault');
  assert.equal(code, 1, 'exit 1: some inputs failed');
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2000);
  for (const line of lines) {
    if (real.has(line.source)) assert.ok(line.face, `${line.source}: ${JSON.stringify(line.error)}`);
    else assert.equal(line.error.code, 'FILE_NOT_FOUND');
  }
}

test('2,000 file arguments of 100 characters: 2,000 lines, exit 1 for the missing ones, never a crash', async () => {
  const { paths, real } = longPathList();
  const { code, stdout, stderr } = await skinsight(['analyze', '--quiet', ...paths]);
  checkLongRun(code, stdout, real);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

test('--files-from - reads one path per line from standard input', async () => {
  const { paths, real } = longPathList();
  // stderr is ignored: 2,000 error messages would fill an unread pipe.
  const child = spawn(process.execPath, [BIN, 'analyze', '--quiet', '--workers', '1', '--files-from', '-'], { cwd: REPO, stdio: ['pipe', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stdin.end(paths.join('\r\n') + '\n');
  const code = await new Promise<number>((r) => child.on('exit', (c, signal) => r(c ?? 128 + os.constants.signals[signal!])));
  checkLongRun(code, stdout, real);
});

test('a device, a FIFO or a file over the upload limit named on the command line is an error line, not a hang', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-special-'));
  const fifo = path.join(dir, 'photo.jpg');
  await run('mkfifo', [fifo]);
  const photo = path.join(FACES, 'obama-240p.jpg');
  // The limit is SKINSIGHT_UPLOAD_LIMIT_MB, the service's: set below this photo's size.
  const limitMb = (fs.statSync(photo).size - 1) / 1024 / 1024;
  const env = { ...process.env, SKINSIGHT_UPLOAD_LIMIT_MB: String(limitMb) };
  const { code, stdout, stderr } = await skinsight(['analyze', '--quiet', '/dev/zero', fifo, photo], { env, timeout: 60_000 });
  assert.equal(code, 1, stderr);
  const bySource = new Map(stdout.trim().split('\n').map((l) => JSON.parse(l)).map((l) => [l.source, l.error?.code]));
  assert.deepEqual(Object.fromEntries(bySource), { '/dev/zero': 'FILE_UNREADABLE', [fifo]: 'FILE_UNREADABLE', [photo]: 'IMAGE_TOO_LARGE' });
  assert.equal(stderr.trim().split('\n').length, 3);
  // Under the limit the same photo is analysed.
  const ok = await skinsight(['analyze', photo], { env: { ...process.env, SKINSIGHT_UPLOAD_LIMIT_MB: String(limitMb * 2) }, timeout: 60_000 });
  assert.equal(ok.code, 0, ok.stderr);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('file names on stderr have their control characters escaped: a name cannot forge a line or a terminal escape', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-names-'));
  const name = path.join(dir, 'a\nskinsight: forged\u001b[31m\u202e.jpg');
  fs.writeFileSync(name, 'not an image\n');
  const { code, stdout, stderr } = await skinsight(['analyze', name], { timeout: 60_000 });
  assert.equal(code, 1);
  assert.equal(JSON.parse(stdout).source, name, 'stdout keeps the real name (JSON escapes it)');
  assert.equal(stderr.split('\n').length, 2, `one line: ${JSON.stringify(stderr)}`);
  assert.doesNotMatch(stderr.slice(0, -1), /[\p{Cc}\u202e]/u, 'no control character but the final newline');
  assert.ok(stderr.includes('a\\x0askinsight: forged\\x1b[31m\\u{202e}.jpg: UNSUPPORTED_FORMAT'), stderr);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--models naming a missing folder, or one with no manifest, is a usage error (exit 2, one line), not a run without models', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-nomodels-'));
  const photo = path.join(FACES, 'obama-240p.jpg');
  for (const args of [['analyze', '--models', '/nonexistent', photo], ['analyze', '--models', empty, photo], ['info', '--models', '/nonexistent'], ['models', 'list', '--models', empty]]) {
    const { code, stdout, stderr } = await skinsight(args, { timeout: 60_000 });
    assert.equal(code, 2, args.join(' '));
    assert.equal(stdout, '', args.join(' '));
    assert.match(stderr, /^skinsight: --models must be a model folder: .*(no such folder|has no manifest\.json)\.\n$/, args.join(' '));
  }
  fs.rmSync(empty, { recursive: true, force: true });
});

test('an output or data folder that is a file, or under /proc, is one clear line and exit 2: never INTERNAL, never a hang', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-outdir-'));
  const file = path.join(dir, 'some-file.txt');
  fs.writeFileSync(file, 'notes\n');
  const photo = path.join(FACES, 'obama-240p.jpg');
  const cases: { args: string[]; env?: Record<string, string>; says: RegExp }[] = [
    { args: ['analyze', '--overlay', file, photo], says: /--overlay must be a folder: .*some-file\.txt is a file/ },
    { args: ['crop', '--out', path.join(file, 'sub'), photo], says: /--out must be a folder: .*some-file\.txt \(on the way to .*\) is a file/ },
    { args: ['users', 'grant-admin', 'a@example.com'], env: { SKINSIGHT_DATA_DIR: file }, says: /the data folder \(SKINSIGHT_DATA_DIR\) must be a folder: .*some-file\.txt is a file/ },
    // Node 20.20's mkdirSync({recursive}) never returns under /proc.
    { args: ['analyze', '--overlay', '/proc/forbidden/x', photo], says: /cannot use \/proc\/forbidden\/x as --overlay: / },
    { args: ['crop', '--out', '/proc/forbidden/x', photo], says: /cannot use \/proc\/forbidden\/x as --out: / },
    { args: ['users', 'grant-admin', 'a@example.com'], env: { SKINSIGHT_DATA_DIR: '/proc/forbidden/x' }, says: /cannot use \/proc\/forbidden\/x as the data folder/ },
  ];
  for (const c of cases) {
    const { code, stderr } = await skinsight(c.args, { env: { ...process.env, ...c.env }, timeout: 60_000 });
    const label = `${c.args.join(' ')} ${JSON.stringify(c.env ?? {})}`;
    assert.equal(code, 2, `${label}: ${stderr}`);
    assert.equal(stderr.split('\n').length, 2, `${label}: one line: ${stderr}`);
    assert.match(stderr, c.says, label);
    assert.doesNotMatch(stderr, /INTERNAL|\n\s+at /, label);
  }
  assert.deepEqual(fs.readdirSync(dir), ['some-file.txt'], 'nothing written');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('usage errors exit 2 with a message', async () => {
  const { code, stderr } = await skinsight(['analyze']);
  assert.equal(code, 2);
  assert.match(stderr, /needs at least one file/);
  const bad = await skinsight(['frobnicate']);
  assert.equal(bad.code, 2);
});

test('--overlay writes a PNG of the photo with the findings drawn, --pretty indents', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-overlay-'));
  const { code, stdout } = await skinsight(['analyze', path.join(FACES, 'obama.jpg'), '--overlay', dir, '--pretty']);
  assert.equal(code, 0);
  assert.match(stdout, /^\{\n {2}"source"/);
  const out = path.join(dir, 'obama.overlay.png');
  const meta = await sharp(out).metadata();
  assert.equal(meta.format, 'png');
  // The overlay differs from the plain photo where the mesh and regions are drawn.
  const plain = await sharp(path.join(FACES, 'obama.jpg')).rotate().resize(meta.width, meta.height).removeAlpha().raw().toBuffer();
  const drawn = await sharp(out).removeAlpha().raw().toBuffer();
  let changed = 0;
  for (let i = 0; i < plain.length; i += 3) if (Math.abs(plain[i] - drawn[i]) + Math.abs(plain[i + 2] - drawn[i + 2]) > 60) changed++;
  assert.ok(changed > 2000, `${changed} pixels changed`);
});

test('folders are searched recursively and many files use the worker pool', async () => {
  const { code, stdout } = await skinsight(['analyze', FACES, '--workers', '2', '--quiet']);
  assert.equal(code, 0);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, fs.readdirSync(FACES).filter((f) => /\.(jpe?g|png)$/.test(f)).length);
  assert.ok(lines.every((l) => l.face && !l.error));
});

test('crop writes the model inputs and a log line per file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-crop-'));
  const { code } = await skinsight(['crop', '--out', dir, '--closeup-fallback', path.join(FACES, 'obama.jpg'), path.join(NON_FACES, 'coffee.png')]);
  assert.equal(code, 0);
  const log = fs.readFileSync(path.join(dir, 'crops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((l) => l.mode).sort(), ['closeup', 'face']);
  const meta = await sharp(path.join(dir, 'obama.png')).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels], [224, 224, 3]);
});

test('crop --patches also writes the five acne patches of each face, close-ups get none', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-patches-'));
  const { code } = await skinsight(['crop', '--out', dir, '--patches', '--patch-size', '224', '--closeup-fallback', path.join(FACES, 'obama.jpg'), path.join(NON_FACES, 'coffee.png')]);
  assert.equal(code, 0);
  const log = fs.readFileSync(path.join(dir, 'crops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const patches = log.filter((l) => l.mode === 'patch');
  assert.deepEqual(patches.map((l) => l.region).sort(), ['chin', 'forehead', 'left_cheek', 'nose', 'right_cheek']);
  assert.ok(patches.every((l) => l.source.endsWith('obama.jpg')));
  const stats = await Promise.all(patches.map((l) => sharp(l.output).stats()));
  for (const [i, st] of stats.entries()) {
    // a real skin patch: the right size, not flat, and warmer (R > B) as skin is
    const meta = await sharp(patches[i].output).metadata();
    assert.deepEqual([meta.width, meta.height], [224, 224]);
    assert.ok(st.channels[0].stdev > 3, `${patches[i].region} is flat`);
    assert.ok(st.channels[0].mean > st.channels[2].mean, `${patches[i].region} is not skin-coloured`);
  }
});

test('schema prints the result JSON Schema with the seed field names', async () => {
  const { code, stdout } = await skinsight(['schema']);
  assert.equal(code, 0);
  const schema = JSON.parse(stdout);
  assert.equal(schema.type, 'object');
  for (const key of ['ml_analysis', 'cv_analysis', 'confidence', 'generated_at', 'face', 'regions', 'quality', 'models', 'timings_ms', 'disclaimer']) {
    assert.ok(key in schema.properties, key);
  }
});

test('every command answers --help with its own usage, exit 0, and does nothing else', async () => {
  const commands = ['analyze', 'crop', 'schema', 'info', 'models', 'serve', 'worker', 'users'];
  // A fresh data folder and a queue that would need Redis: any side effect (a database, a
  // worker starting, an engine loading) would show as a file, an error or a slow exit.
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-help-'));
  const env = { ...process.env, SKINSIGHT_DATA_DIR: data, SKINSIGHT_QUEUE: 'bullmq', SKINSIGHT_REDIS_URL: 'redis://127.0.0.1:1' };
  for (const command of commands) {
    for (const flag of command === 'worker' ? ['--help', '-h'] : ['--help']) {
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, command, flag], { cwd: data, env, timeout: 60_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
        );
      });
      assert.equal(code, 0, `${command} ${flag}: ${stderr}`);
      assert.equal(stderr, '', `${command} ${flag}`);
      assert.match(stdout, new RegExp(`^Usage:\\n  skinsight ${command}\\b`), `${command} ${flag}`);
      assert.doesNotMatch(stdout, command === 'analyze' ? /skinsight crop/ : /skinsight analyze/, 'only this command');
    }
  }
  assert.deepEqual(fs.readdirSync(data), [], 'nothing written');
  fs.rmSync(data, { recursive: true, force: true });
});
