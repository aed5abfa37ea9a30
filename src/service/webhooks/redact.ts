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

/** A message that may quote the URL or its credentials (an error from the HTTP client), with them redacted. */
export function redactIn(text: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return text;
  }
  let out = text.split(url).join(redactUrl(url));
  for (const secret of [parsed.password, parsed.username].filter((s) => s.length > 0)) {
    out = out.split(secret).join('***');
    const decoded = decodeURIComponent(secret);
    if (decoded !== secret) out = out.split(decoded).join('***');
  }
  return out;
}
