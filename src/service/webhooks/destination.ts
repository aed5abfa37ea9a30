/**
 * Where a webhook may go. Only http(s); and in production no loopback, private, link-local or
 * otherwise internal address unless SKINSIGHT_WEBHOOK_ALLOW_PRIVATE=true (SSRF). The check is
 * made on the address the name resolves to, inside the socket's own lookup, so the address
 * checked is the address connected to (a DNS answer that changes in between cannot slip by).
 */
import dns from 'node:dns';
import net from 'node:net';

/**
 * Addresses that are not the public Internet: the IPv4 and IPv6 special-purpose registries
 * (RFC 6890). Node's BlockList also matches IPv4-mapped IPv6 (::ffff:7f00:1 is 127.0.0.1), in
 * whatever notation the URL parser leaves it; the IPv6 forms that embed an IPv4 address some
 * other way (IPv4-compatible ::/96, SIIT ::ffff:0:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * are refused whole rather than decoded.
 */
const BLOCKED = new net.BlockList();
for (const [base, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(base, bits, 'ipv4');
for (const [base, bits] of [
  ['::', 96], ['::ffff:0:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(base, bits, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : null;
  // Not an address at all: refuse rather than guess.
  return family === null || BLOCKED.check(ip, family);
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
