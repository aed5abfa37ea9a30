/**
 * A webhook URL as the delivery log and the service's own log show it: credentials in it
 * (`https://user:pass@host/…`, WHATWG URL userinfo) are replaced by `***`, so an admin reading
 * the log, or a log collector, never sees them. The stored URL keeps them: sending needs them.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!parsed.username && !parsed.password) return url;
  parsed.username = '***';
  parsed.password = parsed.password ? '***' : '';
  return parsed.toString();
}

/** Bare credentials shorter than this are not hunted in free text (a user "e" would mangle every word). */
const MIN_BARE_SECRET = 4;

/** `s` percent-decoded, or as written when it is not valid percent-encoding (a bare `%`). */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A message that may quote the URL or its credentials (an error from the HTTP client), with them redacted. */
export function redactIn(text: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return text;
  }
  const { username, password } = parsed;
  let out = text.split(url).join(redactUrl(url));
  // The userinfo as the client quotes it, whatever the secrets' length.
  const userinfo = password ? `${username}:${password}@` : `${username}@`;
  for (const form of new Set([userinfo, decoded(userinfo)])) if (username || password) out = out.split(form).join('***@');
  for (const secret of [password, username].filter((x) => x.length >= MIN_BARE_SECRET)) {
    for (const form of new Set([secret, decoded(secret)])) if (form.length >= MIN_BARE_SECRET) out = out.split(form).join('***');
  }
  return out;
}
