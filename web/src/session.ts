/**
 * The logged-in session: the access token and who it belongs to, kept in localStorage so a
 * reload keeps you in, and dropped as soon as it expires (the service would refuse it anyway);
 * the app then tells the person that the session expired.
 */
export interface Session {
  token: string;
  email: string;
  expiresAt: string;
}

const KEY = 'skinsight.session';
/** True once a session ran out (found expired at start, or timed out while open): the app says so. */
let expired = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let onExpire: () => void = () => {};
let current: Session | null = load();

function load(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    if (s && Date.parse(s.expiresAt) <= Date.now()) {
      expired = true;
      localStorage.removeItem(KEY);
      return null;
    }
    if (s) schedule(s);
    return s;
  } catch {
    return null;
  }
}

/** Drop the session the moment its token expires, and tell the app (it shows the log-in screen with a note). */
function schedule(s: Session): void {
  clearTimeout(timer);
  // setTimeout's longest delay is about 24.8 days; tokens live at most a day.
  const ms = Math.min(Date.parse(s.expiresAt) - Date.now(), 2 ** 31 - 1);
  timer = setTimeout(() => {
    if (current !== s) return;
    expired = true;
    clearSession();
    onExpire();
  }, ms);
}

export function setExpiryHandler(fn: () => void): void {
  onExpire = fn;
}

/** Whether the last session ended by expiring (read once: the flag is cleared). */
export function takeExpired(): boolean {
  const was = expired;
  expired = false;
  return was;
}

/** Set when getSession finds the token expired just before a request: that request's 401 is the expiry, said as such. */
let expiredOnRequest = false;

export function getSession(): Session | null {
  if (current && Date.parse(current.expiresAt) <= Date.now()) {
    expired = true;
    expiredOnRequest = true;
    clearSession();
  }
  return current;
}

export function takeExpiredOnRequest(): boolean {
  const was = expiredOnRequest;
  expiredOnRequest = false;
  return was;
}

export function setSession(s: Session): void {
  current = s;
  expired = false;
  localStorage.setItem(KEY, JSON.stringify(s));
  schedule(s);
}

export function clearSession(): void {
  current = null;
  clearTimeout(timer);
  localStorage.removeItem(KEY);
}
