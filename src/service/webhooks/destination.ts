/**
 * Where a webhook may go. Only http(s); and in production no loopback, private, link-local or
 * otherwise internal address unless SKINSIGHT_WEBHOOK_ALLOW_PRIVATE=true (SSRF). The check is
 * made on the address the name resolves to, inside the socket's own lookup, so the address
 * checked is the address connected to (a DNS answer that changes in between cannot slip by).
 */
import dns from 'node:dns';
import net from 'node:net';

/** IPv4 ranges that are not the public Internet (RFC 6890 special-purpose registry). */
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const n = v4ToInt(ip);
    return V4_BLOCKED.some(([base, bits]) => (n >>> (32 - bits)) === (v4ToInt(base) >>> (32 - bits)));
  }
  const lower = ip.toLowerCase();
  const mapped = lower.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return isPrivateAddress(mapped[1]!);
  // ::, ::1, fc00::/7 unique-local, fe80::/10 link-local, ff00::/8 multicast.
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith('ff');
}

export class DestinationRefused extends Error {
  readonly code = 'WEBHOOK_DESTINATION_REFUSED';
}

/** A `lookup` for http.request that refuses private addresses when `allowPrivate` is false. */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (!allowPrivate && bad) {
        return callback(new DestinationRefused(`${hostname} resolves to ${bad.address}, a private address (set SKINSIGHT_WEBHOOK_ALLOW_PRIVATE=true to allow)`), '', 0);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
