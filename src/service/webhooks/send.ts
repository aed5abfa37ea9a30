/**
 * One delivery attempt: a POST of the signed body, no redirects followed (node:http never
 * follows them; a 3xx counts as a failure), a 10 s deadline for the whole exchange (a receiver
 * that trickles its answer byte by byte cannot hold the sender), and the destination check of
 * destination.ts. Resolves with the receiver's status, or throws why there was none.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { DestinationRefused, guardedLookup, isPrivateAddress } from './destination.ts';

const TIMEOUT_MS = 10_000;
/** The receiver's answer is not ours to keep: read at most this much of it, then drop the rest. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function postWebhook(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean): Promise<number> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new DestinationRefused(`${target.protocol} is not http(s)`);
  // An IP literal never reaches the lookup: check it here.
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && net.isIP(literal) && isPrivateAddress(literal)) {
    throw new DestinationRefused(`${literal} is a private address (set SKINSIGHT_WEBHOOK_ALLOW_PRIVATE=true to allow)`);
  }
  const send = target.protocol === 'https:' ? https.request : http.request;
  return new Promise<number>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(allowPrivate),
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'skinsight-webhooks' },
        timeout: TIMEOUT_MS,
        // `timeout` is only the longest silence; this bounds the whole request and its answer.
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}
