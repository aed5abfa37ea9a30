/**
 * Analyses interleaved on one engine give what each gives alone. The engine does not serialise
 * calls (index.ts), and it lends buffers from one call to the next (landmarks.ts mesh inputs,
 * measures/context.ts MeasureBuffers, region/face-skin.ts): a buffer shared by two calls in flight,
 * or one not cleared before reuse, would show here as a result that depends on the order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../src/engine/index.ts';
import { fixture } from '../testkit/fixtures.ts';

let engine: Engine;
before(async () => {
  engine = await createEngine({});
});
after(async () => {
  await engine.close();
});

/** The result without what differs from run to run by design (timings, the clock). */
function stable(result: object): string {
  const { timings_ms: _t, generated_at: _g, ...rest } = result as Record<string, unknown>;
  return JSON.stringify(rest);
}

test('three photos in flight at once on one engine: each result as when analysed alone', async () => {
  // Different sizes and faces, so every lent buffer changes size and content between calls.
  const names = ['obama-1080p.jpg', 'astronaut.png', 'two_people.jpg'];
  const bytes = names.map((n) => fixture('faces', n));
  const alone: string[] = [];
  for (const b of bytes) alone.push(stable(await engine.analyze(b)));
  // Twice over, in two orders, all started before any finishes.
  const together = await Promise.all([...bytes, ...[...bytes].reverse()].map((b) => engine.analyze(b)));
  const expected = [...alone, ...[...alone].reverse()];
  together.forEach((r, i) => assert.equal(stable(r), expected[i], `${names[i % 3]} (call ${i}) differs when interleaved`));
  // And alone again afterwards: nothing left behind in the lent buffers changes a later call.
  for (let i = 0; i < bytes.length; i++) assert.equal(stable(await engine.analyze(bytes[i])), alone[i], `${names[i]} after the interleaved calls`);
});
