/**
 * The service's HTTP API, typed. One place knows the paths, the bearer token and the error
 * shape `{error: {code, message}}`; screens get an ApiError with a message fit to show.
 */
import { clearSession, getSession, takeExpiredOnRequest } from './session.ts';
import type { Analytics, HistoryPage, ScanResults, ScanStatusView, Token, Trends } from './types.ts';

/** Build-time API origin (VITE_API_BASE); empty means the origin that served the app. */
export const API_BASE: string = (import.meta.env.VITE_API_BASE ?? '').replace(/\/$/, '');

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the service says the token is no longer good (expired, logged out elsewhere, account gone), with its code. */
let onUnauthorized: (code: string) => void = () => {};
export function setUnauthorizedHandler(fn: (code: string) => void): void {
  onUnauthorized = fn;
}

function authHeaders(): Record<string, string> {
  const s = getSession();
  return s ? { authorization: `Bearer ${s.token}` } : {};
}

async function toError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || 'request failed';
  try {
    const body = await res.json();
    if (body?.error) ({ code, message } = body.error);
  } catch {
    /* not JSON: keep the status line */
  }
  if (res.status === 429) {
    const retry = res.headers.get('retry-after');
    if (retry) message = `${message} (retry in ${retry} s)`;
  }
  return new ApiError(res.status, code, message);
}

/**
 * A 401 for a request that carried a session (or found it expired on the way out) ends the
 * session and tells the app, which says so: a session never ends silently.
 */
function unauthorized(had: boolean, code: string): void {
  const expiredNow = takeExpiredOnRequest();
  if (!had && !expiredNow) return;
  clearSession();
  onUnauthorized(expiredNow ? 'TOKEN_EXPIRED' : code);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const had = getSession() !== null;
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers: { ...authHeaders(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The service cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401) unauthorized(had, err.code);
    throw err;
  }
  return (await res.json()) as T;
}

export const api = {
  /** 202 with the same body whether or not the e-mail was free (no account enumeration): log in next. */
  register: (email: string, password: string) => request<{ status: string; message: string }>('POST', '/api/v1/auth/register', { email, password }),
  login: (email: string, password: string) => request<Token>('POST', '/api/v1/auth/login', { email, password }),
  me: () => request<{ id: string; email: string; created_at: string }>('GET', '/api/v1/auth/me'),
  role: () => request<{ role: 'admin' | 'user' }>('GET', '/api/v1/admin/role'),
  logout: () => request<{ logged_out: boolean }>('POST', '/api/v1/auth/logout'),
  changePassword: (current: string, next: string) =>
    request<{ changed: boolean; sessions_ended: number }>('POST', '/api/v1/auth/password', { current_password: current, new_password: next }),
  deleteAccount: (password: string) => request<{ deleted: boolean; scans_deleted: number }>('DELETE', '/api/v1/auth/me', { password }),

  initScan: () => request<{ scan_id: string; status: string; created_at: string }>('POST', '/api/v1/scan/init'),
  status: (id: string) => request<ScanStatusView>('GET', `/api/v1/scan/${id}/status`),
  results: (id: string) => request<ScanResults>('GET', `/api/v1/scan/${id}/results`),
  history: (limit = 20, offset = 0) => request<HistoryPage>('GET', `/api/v1/scan/history?limit=${limit}&offset=${offset}`),
  trends: (limit = 50) => request<Trends>('GET', `/api/v1/scan/trends?limit=${limit}`),
  deleteScan: (id: string) => request<{ scan_id: string; deleted: boolean }>('DELETE', `/api/v1/scan/${id}`),
  analytics: (hours = 24) => request<Analytics>('GET', `/api/v1/admin/analytics?hours=${hours}`),

  /** The stored photo as an object URL (the caller revokes it), or null when none is stored. */
  async image(id: string): Promise<string | null> {
    const had = getSession() !== null;
    const res = await fetch(`${API_BASE}/api/v1/scan/${id}/image`, { headers: authHeaders() });
    if (res.status === 404) return null;
    if (!res.ok) {
      const err = await toError(res);
      if (res.status === 401) unauthorized(had, err.code);
      throw err;
    }
    return URL.createObjectURL(await res.blob());
  },

  /**
   * Upload the photo with its consent flags. XMLHttpRequest, not fetch, because only it
   * reports upload progress (a phone on a slow network shows a moving bar, not a freeze).
   */
  upload(id: string, file: Blob, opts: { storeImage: boolean }, onProgress: (fraction: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append('consent', 'true');
      form.append('store_image', opts.storeImage ? 'true' : 'false');
      form.append('file', file, file instanceof File ? file.name : 'photo.jpg');
      const had = getSession() !== null;
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${API_BASE}/api/v1/scan/${id}/upload`);
      for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The upload failed: the service cannot be reached.'));
      xhr.onload = async () => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve();
        const err = await toError(new Response(xhr.responseText, { status: xhr.status, headers: { 'retry-after': xhr.getResponseHeader('retry-after') ?? '' } }));
        if (xhr.status === 401) unauthorized(had, err.code);
        reject(err);
      };
      xhr.send(form);
    });
  },
};
