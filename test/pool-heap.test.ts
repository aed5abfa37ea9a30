/**
 * The engine pool starts its worker threads with the heap sizes it was given (pool.ts
 * `oldSpaceMb`, `semiSpaceMb`; bench/README.md "Garbage collection per analysis"): a worker
 * really gets them, read through the worker's 'heap' message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { createEnginePool, type WorkerGcCounts } from '../src/engine/pool.ts';
import type { SkinsightError } from '../src/engine/index.ts';
import { fixture } from '../testkit/fixtures.ts';

const heap = (worker: Worker) =>
  new Promise<{ newSpaceMb: number; gc: WorkerGcCounts }>((resolve) => {
    const listen = (msg: { type: string; gc: WorkerGcCounts; spaces: { space_name: string; space_size: number }[] }) => {
      if (msg.type !== 'heap') return;
      worker.off('message', listen);
      resolve({ newSpaceMb: msg.spaces.find((s) => s.space_name === 'new_space')!.space_size / 1048576, gc: msg.gc });
    };
    worker.on('message', listen);
    worker.postMessage({ type: 'heap' });
  });

test('a pool worker gets the young and old generation sizes it was given', async () => {
  // Left alone, a worker's new space is 16 MB once its engine is loaded and 32 MB after a few
  // analyses (two 16 MB semi-spaces), and loading the engine costs it one mark-compact
  // (measured twice each, tmp/gcq.ts in the GC notes). 4 MB semi-spaces keep it at 8 MB; a
  // 256 MB initial old generation leaves the load without a mark-compact.
  const pool = await createEnginePool({ workers: 1, semiSpaceMb: 4, oldSpaceMb: 256 });
  try {
    const ready = await heap(pool.threads()[0]);
    assert.equal(ready.gc.major, 0, 'no mark-compact while the engine loaded');
    const photo = fixture('faces', 'obama-1080p.jpg');
    for (let i = 0; i < 2; i++) await pool.analyze(photo);
    const after = await heap(pool.threads()[0]);
    assert.ok(after.newSpaceMb <= 8, `new space ${after.newSpaceMb} MB`);
    assert.ok(after.gc.minor > ready.gc.minor, 'the GC counters count');
  } finally {
    await pool.close();
  }
});

test("with no heap options a worker gets the pool's defaults, and 0 gives V8's own sizes even after another pool set them", async () => {
  const photo = fixture('faces', 'obama-1080p.jpg');
  const newSpaceAfterTwo = async (options: { semiSpaceMb?: number }) => {
    const pool = await createEnginePool({ workers: 1, ...options });
    try {
      for (let i = 0; i < 2; i++) await pool.analyze(photo);
      return (await heap(pool.threads()[0])).newSpaceMb;
    } finally {
      await pool.close();
    }
  };
  const defaults = await newSpaceAfterTwo({});
  assert.ok(defaults <= 8, `defaults (WORKER_SEMI_SPACE_MB): new space ${defaults} MB`);
  const own = await newSpaceAfterTwo({ semiSpaceMb: 0 });
  assert.ok(own > 8, `semiSpaceMb 0 after a capped pool: new space ${own} MB`);
});

test('a bad oldSpaceMb or semiSpaceMb is refused before any worker starts', async () => {
  for (const bad of [-1, 1.5, 100000]) {
    await assert.rejects(createEnginePool({ workers: 1, semiSpaceMb: bad }), (error: SkinsightError) => error.code === 'INVALID_OPTIONS' && /semiSpaceMb/.test(error.message));
    await assert.rejects(createEnginePool({ workers: 1, oldSpaceMb: bad }), (error: SkinsightError) => error.code === 'INVALID_OPTIONS' && /oldSpaceMb/.test(error.message));
  }
});
