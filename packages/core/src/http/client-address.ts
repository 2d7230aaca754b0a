import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** Turns a request into the address of the client behind it. */
export type ClientAddressResolver = (req: IncomingMessage) => string;

/**
 * Parses the `trustProxy` setting: IP addresses and CIDR ranges (`10.0.0.0/8`, `::1`,
 * `fd00::/8`) and the shorthand `loopback` (127.0.0.0/8 and ::1). Throws a TypeError
 * naming the bad entry.
 */
export function parseTrustProxy(entries: readonly string[]): BlockList {
  const list = new BlockList();
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      return;
    }
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefix = bits === undefined ? undefined : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    const max = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || (prefix !== undefined && !(prefix >= 0 && prefix <= max))) {
      throw new TypeError(`trustProxy[${i}]: ${JSON.stringify(raw)} is not an IP address, a CIDR range or "loopback"`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, prefix, type);
  });
  return list;
}

/** Whether an address is one of the trusted proxies (false for anything that is not an IP). */
export function trustedProxyCheck(trustProxy: readonly string[]): (address: string) => boolean {
  if (trustProxy.length === 0) return () => false;
  const trusted = parseTrustProxy(trustProxy);
  return (raw) => {
    const address = plain(raw);
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** `::ffff:10.1.2.3` (an IPv4 peer on a dual-stack socket) as the IPv4 address it is. */
function plain(address: string): string {
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address) ? address.slice(7) : address;
}

/**
 * The client address of a request (docs/abuse-resistance.md): the socket's peer, unless
 * that peer is a trusted proxy — then `X-Forwarded-For` is read from the right, skipping
 * trusted proxies, and the first address that is not one is the client (what nginx's
 * `real_ip_recursive` and Express's `trust proxy` list do). A client cannot spoof its
 * address by sending the header itself: only hops appended by trusted proxies are believed.
 */
export function createClientAddressResolver(trustProxy: readonly string[] = []): ClientAddressResolver {
  if (trustProxy.length === 0) return (req) => plain(req.socket.remoteAddress ?? 'unknown');
  const isTrusted = trustedProxyCheck(trustProxy);
  return (req) => {
    const peer = plain(req.socket.remoteAddress ?? 'unknown');
    if (!isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (!header) return peer;
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',').map((h) => plain(h.trim()));
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      // Garbage in the chain: the last hop a trusted proxy vouched for is the client.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}
