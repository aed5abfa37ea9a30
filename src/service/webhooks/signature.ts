/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"):
 * the secret is `whsec_` + base64 of the key bytes; the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`; the header `webhook-signature` is
 * `v1,` + base64(HMAC-SHA256(key, content)). The client package verifies with the same rule.
 */
import crypto from 'node:crypto';

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

export function signWebhook(secret: string, id: string, timestampS: number, body: string): string {
  const mac = crypto.createHmac('sha256', secretKey(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one delivery attempt (the timestamp is the attempt's, in Unix seconds). */
export function webhookHeaders(secret: string, id: string, timestampS: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': signWebhook(secret, id, timestampS, body),
  };
}
