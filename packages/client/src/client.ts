/**
 * The skinsight client: openapi-fetch over the generated types for every route (`api`), and a
 * thin layer for the common flow: `scan(file, {wait})` starts a scan, uploads the photo and
 * returns the result, waiting in the request (`wait: true`) or polling the status with back-off
 * (honouring Retry-After); errors are thrown as SkinsightApiError with the API's code.
 */
import createClient from 'openapi-fetch';
import { SkinsightApiError, errorFromResponse } from './errors.ts';
import type { components, paths } from './schema.gen.ts';

export type AnalysisResult = components['schemas']['AnalysisResult'];
export type ScanStatus = paths['/api/v1/scan/{scan_id}/status']['get']['responses'][200]['content']['application/json'];
export type ScanResults = paths['/api/v1/scan/{scan_id}/results']['get']['responses'][200]['content']['application/json'];

export interface ClientOptions {
  /** The service's origin, e.g. https://skin.example.org (no trailing /api). */
  baseUrl: string;
  /** A bearer token (from POST /api/v1/auth/login), or a function returning the current one. */
  token?: string | (() => string | null | undefined | Promise<string | null | undefined>);
  /** An API key, for POST /api/v1/analyze. */
  apiKey?: string;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

export interface ScanOptions {
  /** Wait for the result in the upload request (one round trip); polls if the server's wait runs out. */
  wait?: boolean;
  storeImage?: boolean;
  closeup?: boolean;
  filename?: string;
  /** One key for the whole scan: a retried scan() with the same key creates no second scan nor analysis. */
  idempotencyKey?: string;
  /** First polling interval (default 500 ms), multiplied by 1.5 per poll up to maxPollIntervalMs (default 5 s). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Give up after this long (default 120 s) with a SkinsightApiError of code TIMEOUT. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type SkinsightClient = ReturnType<typeof createSkinsightClient>;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

export function createSkinsightClient(options: ClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  async function authHeaders(): Promise<Record<string, string>> {
    const headers: Record<string, string> = {};
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.apiKey) headers['x-api-key'] = options.apiKey;
    return headers;
  }

  const api = createClient<paths>({ baseUrl, fetch: (request: Request) => doFetch(request) });
  api.use({
    async onRequest({ request }) {
      for (const [k, v] of Object.entries(await authHeaders())) if (!request.headers.has(k)) request.headers.set(k, v);
      return request;
    },
  });

  /** The data of an openapi-fetch answer, or its error thrown as a SkinsightApiError. */
  async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await call;
    if (!response.ok || error !== undefined) throw await errorFromResponse(response, error);
    return data as T;
  }

  const getStatus = (scanId: string, signal?: AbortSignal) =>
    unwrap(api.GET('/api/v1/scan/{scan_id}/status', { params: { path: { scan_id: scanId } }, signal }));
  const getResults = (scanId: string, signal?: AbortSignal) =>
    unwrap(api.GET('/api/v1/scan/{scan_id}/results', { params: { path: { scan_id: scanId } }, signal })) as Promise<ScanResults>;

  /** Poll a scan until it completes (its results) or fails (thrown), backing off between polls. */
  async function waitForScan(scanId: string, opts: Omit<ScanOptions, 'wait'> = {}): Promise<ScanResults> {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    let interval = opts.pollIntervalMs ?? 500;
    for (;;) {
      let pause = interval;
      let status: ScanStatus | null = null;
      try {
        status = await getStatus(scanId, opts.signal);
      } catch (err) {
        // A busy or briefly unreachable service is waited for (fetch throws TypeError when offline).
        if (!(err instanceof TypeError) && !(err instanceof SkinsightApiError && err.retryable)) throw err;
        if (err instanceof SkinsightApiError && err.retryAfterS) pause = Math.max(pause, err.retryAfterS * 1000);
      }
      if (status?.status === 'completed') return getResults(scanId, opts.signal);
      if (status?.status === 'failed') {
        throw new SkinsightApiError(422, status.error?.code ?? 'INTERNAL', status.error?.message ?? 'the analysis failed', null, scanId);
      }
      if (Date.now() + pause > deadline) throw new SkinsightApiError(0, 'TIMEOUT', `scan ${scanId} did not finish in time`, null, scanId);
      await sleep(pause, opts.signal);
      interval = Math.min(interval * 1.5, opts.maxPollIntervalMs ?? 5000);
    }
  }

  /** Start a scan, upload the photo (consent given by calling this) and return the result. */
  async function scan(file: Blob | Uint8Array | ArrayBuffer, opts: ScanOptions = {}): Promise<ScanResults> {
    const key = opts.idempotencyKey;
    const init = await unwrap(api.POST('/api/v1/scan/init', { headers: key ? { 'idempotency-key': `${key}.init` } : {}, signal: opts.signal }));
    const form = new FormData();
    form.append('consent', 'true');
    if (opts.storeImage) form.append('store_image', 'true');
    if (opts.closeup) form.append('closeup', 'true');
    const blob = file instanceof Blob ? file : new Blob([file instanceof Uint8Array ? new Uint8Array(file) : file]);
    form.append('file', blob, opts.filename ?? 'photo');
    const headers = await authHeaders();
    if (key) headers['idempotency-key'] = `${key}.upload`;
    const url = `${baseUrl}/api/v1/scan/${encodeURIComponent(init.scan_id)}/upload${opts.wait ? '?wait=true' : ''}`;
    const response = await doFetch(url, { method: 'POST', headers, body: form, signal: opts.signal });
    const body = await response.json().catch(() => null);
    if (response.status === 200) return body as ScanResults;
    if (response.status !== 202) throw await errorFromResponse(response, body);
    return waitForScan(init.scan_id, opts);
  }

  return { api, scan, waitForScan, getStatus, getResults };
}
