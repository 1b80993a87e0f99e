/**
 * Where a subscription may send (issue 31, no SSRF): `https://` to public addresses; on the local stack
 * `http(s)://127.0.0.1:<port>` too. Link-local (cloud metadata), private, shared, loopback (but the local
 * stack's 127.0.0.1), multicast and reserved addresses are refused everywhere, as are credentials in the URL
 * and any scheme but http(s). A name is resolved when the subscription is made and again on every delivery
 * (the connection goes to the address checked: `guardedLookup`), so a name that later points inward is refused.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared (carrier-grade NAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: 169.254.169.254 is the metadata server
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10],
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** The local stack's one allowed inward address. */
const LOCAL_HOST = '127.0.0.1';
const BLOCKED_NAMES = /^(localhost|metadata|metadata\.google\.internal)\.?$|\.(internal|local|localhost)\.?$/i;

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:10.0.0.1`, or `::ffff:a00:1` as the URL parser writes it). */
function mappedV4(address: string): string | null {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return null;
  if (m[1]) return m[1];
  const [hi, lo] = [parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why an address may not be sent to, or null when it may (`local`: the stack's 127.0.0.1 is allowed). */
export function addressRefusal(address: string, local: boolean): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  if (local && address === LOCAL_HOST) return null;
  const mapped = mappedV4(address);
  if (mapped) return addressRefusal(mapped, false);
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
    ? `${address} is a private, loopback, link-local or reserved address`
    : null;
}

export type EndpointCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** The URL's form alone (no DNS): scheme, no credentials, and a literal address or name allowed. */
export function endpointRefusal(raw: string, local: boolean): EndpointCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  const isLocal = local && literal === LOCAL_HOST;
  if (url.protocol !== 'https:' && !(isLocal && url.protocol === 'http:'))
    return { ok: false, reason: local ? 'only https://, or http://127.0.0.1 on the local stack' : 'only https://' };
  if (url.username || url.password) return { ok: false, reason: 'no credentials in the URL' };
  if (url.hash) return { ok: false, reason: 'no fragment' };
  if (isIP(literal)) {
    const why = addressRefusal(literal, local);
    return why ? { ok: false, reason: why } : { ok: true, url };
  }
  if (BLOCKED_NAMES.test(literal) || !literal.includes('.')) return { ok: false, reason: `${literal} is internal` };
  return { ok: true, url };
}

/** A `lookup` for http(s).request that refuses to connect to any address `addressRefusal` refuses. */
export function guardedLookup(local: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.map((a) => addressRefusal(a.address, local)).find((r) => r !== null);
      if (bad || addresses.length === 0)
        return callback(Object.assign(new Error(bad ?? `${hostname} has no address`), { code: 'EREFUSED' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** The URL's form, then (for a name) every address it resolves to now: null when it may be sent to. */
export async function checkEndpoint(raw: string, local: boolean): Promise<string | null> {
  const form = endpointRefusal(raw, local);
  if (!form.ok) return form.reason;
  const host = form.url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return null;
  return new Promise((resolve) => {
    guardedLookup(local)(host, { all: true }, (err) => resolve(err ? `${host}: ${err.message}` : null));
  });
}
