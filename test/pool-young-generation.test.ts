/**
 * The engine pool starts its worker threads with a larger young generation (pool.ts
 * `semiSpaceMb`, bench/README.md "Garbage collection per analysis"): a worker really gets it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createEnginePool } from '../src/engine/pool.ts';
import type { SkinsightError } from '../src/engine/index.ts';

const newSpaceMb = (worker: Worker) =>
  new Promise<number>((resolve) => {
    const listen = (msg: { type: string; spaces?: { space_name: string; space_size: number }[] }) => {
      if (msg.type !== 'heap') return;
      worker.off('message', listen);
      resolve(msg.spaces!.find((s) => s.space_name === 'new_space')!.space_size / 1048576);
    };
    worker.on('message', listen);
    worker.postMessage({ type: 'heap' });
  });

test('a pool worker starts with the young generation it was given, beyond what V8 grows to by itself', async () => {
  // V8's default semi-space maximum on 64-bit is 16 MB, so a worker left alone never reports
  // more than 32 MB of new space (16 MB right after loading, measured); 32 MB semi-spaces give 64.
  const pool = await createEnginePool({ workers: 1, semiSpaceMb: 32 });
  try {
    const mb = await newSpaceMb(pool.threads()[0]);
    assert.ok(mb > 32, `new space ${mb} MB`);
  } finally {
    await pool.close();
  }
});

test('a bad semiSpaceMb is refused before any worker starts', async () => {
  for (const bad of [-1, 1.5, 1000]) {
    await assert.rejects(createEnginePool({ workers: 1, semiSpaceMb: bad }), (error: SkinsightError) => error.code === 'INVALID_OPTIONS' && /semiSpaceMb/.test(error.message));
  }
});
