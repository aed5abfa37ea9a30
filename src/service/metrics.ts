/**
 * Prometheus metrics (prom-client), one registry per process: the API serves it at /metrics,
 * a worker process on SKINSIGHT_METRICS_PORT. Every series an operator needs to run the service:
 * request latency per route, inference latency per engine stage, queue depth, cache hits,
 * predictions per model version, errors by code.
 */
import client from 'prom-client';

const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'skinsight_process_' });

/** Sources for the gauges that are read at scrape time (the last app or worker registered wins). */
const sources: { queueDepth?: () => number | Promise<number> } = {};

export const metrics = {
  registry,
  httpDuration: new client.Histogram({
    name: 'skinsight_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  stageDuration: new client.Histogram({
    name: 'skinsight_inference_stage_duration_seconds',
    help: 'Engine latency per pipeline stage (from the result timings)',
    labelNames: ['stage'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  queueDepth: new client.Gauge({
    name: 'skinsight_queue_depth',
    help: 'Scan jobs waiting or running',
    registers: [registry],
    async collect() {
      if (sources.queueDepth) this.set(await sources.queueDepth());
    },
  }),
  cacheRequests: new client.Counter({
    name: 'skinsight_cache_requests_total',
    help: 'Result-cache lookups by outcome (hit ratio = hit / (hit + miss))',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  cacheHitRatio: new client.Gauge({
    name: 'skinsight_cache_hit_ratio',
    help: 'Result-cache hits over lookups since the process started',
    registers: [registry],
    async collect() {
      const v = (await metrics.cacheRequests.get()).values;
      const hit = v.find((x) => x.labels.result === 'hit')?.value ?? 0;
      const miss = v.find((x) => x.labels.result === 'miss')?.value ?? 0;
      this.set(hit + miss > 0 ? hit / (hit + miss) : 0);
    },
  }),
  predictions: new client.Counter({
    name: 'skinsight_model_predictions_total',
    help: 'Predictions per model version; role is live (shown) or shadow (stored only)',
    labelNames: ['task', 'model', 'version', 'role'] as const,
    registers: [registry],
  }),
  errors: new client.Counter({
    name: 'skinsight_errors_total',
    help: 'Errors by code; source is http (responses ≥ 400) or analysis (failed scans)',
    labelNames: ['code', 'source'] as const,
    registers: [registry],
  }),
  // --- Issue #16: the work the queue hides, and webhook deliveries. ---
  queueWait: new client.Histogram({
    name: 'skinsight_queue_wait_seconds',
    help: 'From upload to the start of analysis (each attempt): the time a scan waits for a worker',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
  stateDuration: new client.Histogram({
    name: 'skinsight_scan_state_duration_seconds',
    help: 'Time a scan spent in a state: pending (created to uploaded), processing (uploaded to completed or failed)',
    labelNames: ['state', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 86_400],
    registers: [registry],
  }),
  batchSize: new client.Histogram({
    name: 'skinsight_batch_size',
    help: 'Crops per micro-batched ONNX run (only with SKINSIGHT_BATCH_WINDOW_MS > 0)',
    buckets: [1, 2, 3, 4, 6, 8, 12, 16],
    registers: [registry],
  }),
  webhookDeliveries: new client.Counter({
    name: 'skinsight_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), given_up (24 h passed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  setQueueDepthSource(fn: (() => number | Promise<number>) | undefined) {
    sources.queueDepth = fn;
  },
};

/** Record one engine result: stage latencies and the versions that made it. */
export function observeResult(result: { timings_ms?: Record<string, number>; models?: { task: string; name: string; version: string }[] }, shadow?: { task: string; name: string; version: string }[]) {
  for (const [stage, ms] of Object.entries(result.timings_ms ?? {})) {
    if (typeof ms === 'number' && Number.isFinite(ms)) metrics.stageDuration.observe({ stage }, ms / 1000);
  }
  for (const m of result.models ?? []) metrics.predictions.inc({ task: m.task, model: m.name, version: m.version, role: 'live' });
  for (const m of shadow ?? []) metrics.predictions.inc({ task: m.task, model: m.name, version: m.version, role: 'shadow' });
}
