/**
 * The "keep my photo" opt-in, remembered in this browser per account: someone else logging in
 * here starts with it off, as consent is each person's own (GDPR art. 4(11) and 7: given by the
 * data subject, specific, never inherited). Kept as the list of accounts (e-mails, lower-case)
 * that opted in, under one key; an account's entry goes when the account is deleted. A value
 * from before it was per account ("true"/"false", nobody's in particular) reads as off.
 */
const KEY = 'skinsight.storeImage';

function read(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

function write(list: string[]): void {
  if (list.length === 0) localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, JSON.stringify(list));
}

export function keepsPhoto(email: string): boolean {
  return read().includes(email.toLowerCase());
}

export function setKeepsPhoto(email: string, keep: boolean): void {
  const id = email.toLowerCase();
  const others = read().filter((e) => e !== id);
  write(keep ? [...others, id] : others);
}

/** The account is gone: nothing of its choice stays in the browser. */
export function forgetKeepsPhoto(email: string): void {
  setKeepsPhoto(email, false);
}
