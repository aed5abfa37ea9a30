/**
 * Issue #16, item 6: metrics for the work the queue hides (queue wait, time in each state,
 * micro-batch sizes) and webhook deliveries by outcome, read from /metrics of the real service
 * run as a child process (as in production) with micro-batching on and a loopback receiver.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture } from '../testkit/fixtures.ts';
import { call, registerAndLogin, until } from '../testkit/http.ts';
import { spawnService, type ServiceProcess } from '../testkit/service-process.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skinsight-queue-metrics-'));
let service: ServiceProcess;
let delivered = 0;
const receiver = http.createServer((req, res) => {
  req.resume().on('end', () => {
    delivered++;
    res.writeHead(204).end();
  });
});

before(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  service = await spawnService(dataDir, {
    SKINSIGHT_JWT_SECRET: 'queue-metrics-secret-0123456789',
    SKINSIGHT_WORKERS: '1',
    SKINSIGHT_CACHE: 'off',
    SKINSIGHT_BATCH_WINDOW_MS: '5',
    SKINSIGHT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
    SKINSIGHT_WEBHOOK_SECRET: `whsec_${crypto.randomBytes(32).toString('base64')}`,
  });
});
after(async () => {
  service?.proc.kill('SIGTERM');
  await service?.exited;
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The value of one series in Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('queue wait, time per state, batch sizes and webhook outcomes appear in /metrics', async () => {
  const { token } = await registerAndLogin(service.url, `m-${Date.now()}@example.org`, 'correct horse battery');
  const upload = async (name: string) => {
    const id = (await call(service.url, 'POST', '/api/v1/scan/init', { token })).body.scan_id;
    const fd = new FormData();
    fd.append('consent', 'true');
    fd.append('file', new Blob([new Uint8Array(fixture('faces', name))]), name);
    return call(service.url, 'POST', `/api/v1/scan/${id}/upload?wait=true`, { token, form: fd });
  };
  // Two at once on one engine thread: their model stages can share a batch.
  const replies = await Promise.all([upload('obama.jpg'), upload('biden.jpg')]);
  for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
  await until('both webhooks', async () => delivered >= 2);
  const text = await until('the delivery counted', async () => {
    const t = (await call(service.url, 'GET', '/metrics')).body as string;
    return sample(t, 'skinsight_webhook_deliveries_total', 'outcome="delivered"') >= 2 && t;
  });
  assert.equal(sample(text, 'skinsight_queue_wait_seconds_count'), 2);
  assert.equal(sample(text, 'skinsight_scan_state_duration_seconds_count', 'state="pending",outcome="uploaded"'), 2);
  assert.equal(sample(text, 'skinsight_scan_state_duration_seconds_count', 'state="processing",outcome="completed"'), 2);
  const batches = sample(text, 'skinsight_batch_size_count');
  const crops = sample(text, 'skinsight_batch_size_sum');
  assert.ok(batches > 0, 'micro-batches were observed');
  // Two analyses × two live models: four classifier calls, however they were merged.
  assert.equal(crops, 4);
});
