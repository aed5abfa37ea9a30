/**
 * The bench and project scripts answer a bad option with one line and exit code 2, and `--help`
 * with their usage (testkit/command-line.ts), instead of a Node stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../testkit/fixtures.ts';

const script = (name: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, name), ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });

test('an unknown option: one line naming it and the options, exit code 2, no stack trace', () => {
  const r = script('bench/bombs.bench.ts', '--mb', '5');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^bombs\.bench\.ts: Unknown option '--mb' \(options: --mib VALUE; --help for the usage\)$/);
});

test('an option without its value: one line, exit code 2', () => {
  const r = script('bench/bombs.bench.ts', '--mib');
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^bombs\.bench\.ts: Option '--mib <value>' argument missing/);
});

test('--help prints the usage from the script header and exits 0', () => {
  const r = script('bench/bombs.bench.ts', '--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /node --import tsx bench\/bombs\.bench\.ts \[--mib 1024\]/);
});
