/**
 * House rules that keep the code base easy to search: one spelling of "color" (US, as CSS,
 * canvas and sharp's primary API spell it) in identifiers and in the text people see.
 * Prose in comments and docs may keep either spelling.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const REPO = path.resolve(import.meta.dirname, '..');

/** The code of a file without its comments (line comments, block comments, JSDoc lines). */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.replace(/(^|\s)\/\/.*$/, ''))
    .join('\n');
}

test('identifiers and user-visible text spell "color", never "colour"', () => {
  const offenders: string[] = [];
  for (const dir of ['src', 'web/src', 'web/index.html']) {
    const root = path.join(REPO, dir);
    const files = fs.statSync(root).isDirectory() ? (fs.readdirSync(root, { recursive: true }) as string[]).map((f) => path.join(root, f)) : [root];
    for (const file of files.filter((f) => /\.(ts|tsx|mjs|html|css)$/.test(f))) {
      codeOnly(fs.readFileSync(file, 'utf8')).split('\n').forEach((line, i) => {
        if (/colour/i.test(line)) offenders.push(`${path.relative(REPO, file)}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(offenders, []);
});
