/** Polling with a deadline and the one small JSON/multipart HTTP client, for tests, benches and scripts against running services. */

/** Polls fn until it returns something truthy; throws with the last error after timeoutMs. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** Abort the request after this long (default: no limit of its own). */
  timeoutMs?: number;
}

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
  /** Time to the whole body, in ms. */
  ms: number;
}

/** One request; the body parsed as JSON when it is JSON, else the text (e.g. metrics). */
export async function call(base: string, method: string, url: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) body = opts.form;
  const signal = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined;
  const t0 = performance.now();
  const res = await fetch(base + url, { method, headers, body, signal });
  const text = await res.text();
  const ms = performance.now() - t0;
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers, ms };
}

/**
 * A new account's token: register (202 whether or not the e-mail was free, so taken and free
 * addresses look alike), then log in. Throws on any other answer.
 */
export async function registerAndLogin(base: string, email: string, password: string, opts: Omit<CallOptions, 'json'> = {}): Promise<{ token: string; id: string }> {
  const reg = await call(base, 'POST', '/api/v1/auth/register', { ...opts, json: { email, password } });
  if (reg.status !== 202) throw new Error(`register answered ${reg.status}: ${JSON.stringify(reg.body)}`);
  const login = await call(base, 'POST', '/api/v1/auth/login', { ...opts, json: { email, password } });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
  return { token: login.body.access_token as string, id: login.body.user.id as string };
}

/**
 * Analyses a process has finished in the engine (the result may not be saved yet): the count of
 * its most-observed pipeline stage in /metrics (skinsight_inference_stage_duration_seconds, one
 * observation per stage per result). An event to wait on that no log sentence stands in for.
 */
export async function analysesDone(base: string, token?: string): Promise<number> {
  // An API's base URL, or a worker's metrics URL (its ready message's metricsUrl).
  const r = await call(base.endsWith('/metrics') ? base.slice(0, -'/metrics'.length) : base, 'GET', '/metrics', { token });
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  const counts = [...String(r.body).matchAll(/^skinsight_inference_stage_duration_seconds_count\{stage="[^"]+"\} (\d+)$/gm)].map((m) => Number(m[1]));
  return Math.max(0, ...counts);
}

/** A new account's access token (benches and the web test). */
export async function accountToken(base: string, email: string, password = 'correct horse battery'): Promise<string> {
  return (await registerAndLogin(base, email, password)).token;
}

/**
 * A result as an Idempotency-Key replay returns it: without the face mesh and the region
 * outlines, which only the first answer carries (they are kept an hour, a replay 24 h).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withoutGeometry<T extends { face?: any; regions?: any }>(result: T): T {
  const copy = structuredClone(result);
  if (copy.face?.landmarks) copy.face.landmarks = [];
  for (const region of Object.values(copy.regions ?? {}) as { polygon?: unknown[] }[]) if (region.polygon) region.polygon = [];
  return copy;
}
