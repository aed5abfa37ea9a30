/**
 * Verifying a skinsight webhook (Standard Webhooks, https://www.standardwebhooks.com): the
 * `webhook-signature` header holds one or more space-separated `v1,<base64>` signatures of
 * `${webhook-id}.${webhook-timestamp}.${body}` (HMAC-SHA256 with the secret's bytes, the part
 * after `whsec_` in base64). A timestamp further than `toleranceS` from now is refused, so a
 * captured request cannot be replayed later. Web Crypto only: the same code runs in Node 20 and
 * in browsers (and edge runtimes).
 */

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface WebhookEvent {
  type: 'scan.completed' | 'scan.failed';
  timestamp: string;
  data: { scan_id: string; status: 'completed' | 'failed'; error: { code: string; message: string } | null };
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | null {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const v = (headers as Record<string, string | string[] | undefined>)[name] ?? (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
}

const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** Equal strings, in time that depends on the length only. */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Check a delivery and return its event; throws WebhookVerificationError when the signature
 * is wrong or missing, or the timestamp is too old or too new. Pass the raw body text as
 * received (not re-serialised JSON).
 */
export async function verifyWebhook(
  secret: string,
  headers: HeaderSource,
  body: string,
  options: { toleranceS?: number; now?: Date } = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  const ts = Number(timestamp);
  const now = (options.now ?? new Date()).getTime() / 1000;
  if (!Number.isInteger(ts) || Math.abs(now - ts) > (options.toleranceS ?? 300)) throw new WebhookVerificationError('the webhook timestamp is outside the tolerance');
  const key = await crypto.subtle.importKey('raw', fromBase64(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
  const expected = `v1,${toBase64(mac)}`;
  if (!signatures.split(' ').some((s) => sameString(s, expected))) throw new WebhookVerificationError('no webhook signature matches');
  return JSON.parse(body) as WebhookEvent;
}
