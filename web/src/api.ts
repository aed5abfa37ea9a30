/**
 * The service's HTTP API for the screens, through @skinsight/client (typed by the service's
 * OpenAPI document). One place knows the bearer token and the error shape; screens get an
 * ApiError with a message fit to show. Only the upload keeps XMLHttpRequest (for its progress).
 */
import { createSkinsightClient, errorFromResponse, SkinsightApiError } from '@skinsight/client';
import { clearSession, getSession, takeExpiredOnRequest } from './session.ts';
// The response shapes under one namespace: types.ts is the one list of names.
import type * as T from './types.ts';

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

// The page's origin when VITE_API_BASE is empty (fetch needs an absolute URL to build a Request).
const client = createSkinsightClient({ baseUrl: API_BASE || globalThis.location?.origin || '', token: () => getSession()?.token });

/** The client's typed error as the screens' ApiError (a 429 says when to retry). */
function toApiError(err: SkinsightApiError): ApiError {
  const message = err.status === 429 && err.retryAfterS ? `${err.message} (retry in ${err.retryAfterS} s)` : err.message;
  return new ApiError(err.status, err.code, message);
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

async function toError(res: Response): Promise<ApiError> {
  return toApiError(await errorFromResponse(res));
}

type Method = 'GET' | 'POST' | 'DELETE';
type Answer = { data?: unknown; error?: unknown; response: Response };

/** One call through the typed client; a 401 with a session ends it (unauthorized). */
async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const had = getSession() !== null;
  // The screens name concrete paths (ids filled in): the typed client is called with them as they are.
  const [pathname, query] = path.split('?');
  const init = { body, params: { query: Object.fromEntries(new URLSearchParams(query ?? '')) } } as never;
  let answer: Answer;
  try {
    const call = client.api[method] as unknown as (url: string, init: never) => Promise<Answer>;
    answer = await call(pathname!, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'The service cannot be reached. Check your connection and try again.');
  }
  if (!answer.response.ok) {
    const err = toApiError(await errorFromResponse(answer.response, answer.error));
    if (answer.response.status === 401) unauthorized(had, err.code);
    throw err;
  }
  return answer.data as T;
}

export const api = {
  /** 202 with the same body whether or not the e-mail was free (no account enumeration): log in next. */
  register: (email: string, password: string) => request<T.Registered>('POST', '/api/v1/auth/register', { email, password }),
  login: (email: string, password: string) => request<T.Token>('POST', '/api/v1/auth/login', { email, password }),
  me: () => request<T.User>('GET', '/api/v1/auth/me'),
  role: () => request<T.RoleView>('GET', '/api/v1/admin/role'),
  logout: () => request<T.LoggedOut>('POST', '/api/v1/auth/logout'),
  changePassword: (current: string, next: string) =>
    request<T.PasswordChanged>('POST', '/api/v1/auth/password', { current_password: current, new_password: next }),
  deleteAccount: (password: string) => request<T.AccountDeleted>('DELETE', '/api/v1/auth/me', { password }),

  initScan: () => request<T.ScanCreated>('POST', '/api/v1/scan/init'),
  status: (id: string) => request<T.ScanStatusView>('GET', `/api/v1/scan/${id}/status`),
  results: (id: string) => request<T.ScanResults>('GET', `/api/v1/scan/${id}/results`),
  history: (limit = 20, offset = 0) => request<T.HistoryPage>('GET', `/api/v1/scan/history?limit=${limit}&offset=${offset}`),
  trends: (limit = 50) => request<T.Trends>('GET', `/api/v1/scan/trends?limit=${limit}`),
  deleteScan: (id: string) => request<T.ScanDeleted>('DELETE', `/api/v1/scan/${id}`),
  analytics: (hours = 24) => request<T.Analytics>('GET', `/api/v1/admin/analytics?hours=${hours}`),

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
