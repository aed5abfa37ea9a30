/**
 * The local image store (the embedded default): photos are readable by the service's user only,
 * deletion removes the file, and a write that fails leaves no part of the photo on disk.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalImageStore } from '../src/service/storage/images.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-images-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const photo = new Uint8Array(64 * 1024).map((_, i) => i % 251);

describe('the local image store', () => {
  test('a stored photo comes back exactly, with file mode 0600 in a 0700 folder; a deleted one is gone', async () => {
    const store = new LocalImageStore(path.join(root, 'a'));
    await store.put('scan-1', photo);
    assert.deepEqual(new Uint8Array((await store.get('scan-1'))!), photo);
    assert.equal(fs.statSync(store.pathOf('scan-1')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(store.pathOf('scan-1'))).mode & 0o777, 0o700);
    await store.delete('scan-1');
    assert.equal(fs.existsSync(store.pathOf('scan-1')), false);
    assert.equal(await store.get('scan-1'), null);
    await store.delete('scan-1'); // deleting twice is not an error
  });

  test('a put that fails after the bytes were written leaves no temporary copy of the photo', async () => {
    const dir = path.join(root, 'b');
    const store = new LocalImageStore(dir);
    // The final name is a non-empty folder, so the rename after the full write fails.
    fs.mkdirSync(path.join(store.pathOf('scan-2'), 'x'), { recursive: true });
    await assert.rejects(store.put('scan-2', photo));
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no .tmp file holds the photo',
    );
  });
});
