/**
 * The production build: `tsc -p tsconfig.build.json` emits plain JavaScript that runs without
 * tsx, the engine threads included (what `npm start`, bin/ and the image run).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { FACES, REPO } from '../testkit/fixtures.ts';

const run = promisify(execFile);
// Beside dist/ (same depth), so the emitted code finds models/ and web/ as the real build does.
const OUT = path.join(REPO, `.build-test-${process.pid}`);
after(() => fs.rmSync(OUT, { recursive: true, force: true }));

test('the emitted JavaScript imports no .ts file and no tsx, and analyzes photos on engine threads with plain node', { timeout: 600_000 }, async () => {
  await run(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', OUT, '--tsBuildInfoFile', path.join(OUT, '.tsbuildinfo')], { cwd: REPO });
  const files = (fs.readdirSync(OUT, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes(path.join('engine', 'pool-worker.js')) && files.includes(path.join('cli', 'main.js')));
  const offenders = files.filter((f) => /from '[^']+\.ts'|import\('[^']+\.ts'\)|['"]tsx(\/[^'"]*)?['"]/.test(fs.readFileSync(path.join(OUT, f), 'utf8')));
  assert.deepEqual(offenders, []);

  const photos = ['obama.jpg', 'sergey.png'].map((f) => path.join(FACES, f));
  const { stdout } = await run(process.execPath, [path.join(OUT, 'cli/main.js'), 'analyze', '--quiet', '--workers', '2', ...photos], { cwd: REPO, maxBuffer: 64 << 20 });
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.source).sort(), photos.sort());
  for (const line of lines) assert.equal(line.face.landmarks.length, 468);
});
