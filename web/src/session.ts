/**
 * The logged-in session: the access token and who it belongs to, kept in localStorage so a
 * reload keeps you in, and dropped as soon as it expires (the service would refuse it anyway).
 */
export interface Session {
  token: string;
  email: string;
  expiresAt: string;
}

const KEY = 'skinsight.session';
let current: Session | null = load();

function load(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && Date.parse(s.expiresAt) > Date.now() ? s : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  if (current && Date.parse(current.expiresAt) <= Date.now()) clearSession();
  return current;
}

export function setSession(s: Session): void {
  current = s;
  localStorage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  current = null;
  localStorage.removeItem(KEY);
}
