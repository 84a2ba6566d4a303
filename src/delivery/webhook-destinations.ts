/**
 * Where a webhook may go. A map author names the URL, so without a check a touchpoint could make the worker
 * POST into its own network: loopback, private ranges, link-local and the cloud metadata address
 * (169.254.169.254), however spelled (`0x7f000001`, `[::1]`, `[::ffff:10.0.0.1]`). The host is resolved and
 * every address it has must be a public unicast one, unless the operator allows the host by name
 * (WEBHOOK_ALLOWED_HOSTS), e.g. a CRM inside the same network.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export type Lookup = (host: string) => Promise<string[]>;

const resolveAll: Lookup = async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** Why the destination is refused, or undefined when it may be called. */
export async function webhookDestinationProblem(url: string, allowedHosts: readonly string[], resolve: Lookup = resolveAll): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `${parsed.protocol} is not http(s)`;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowedHosts.some((allowed) => allowed.toLowerCase() === host)) return undefined;
  const addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  for (const address of addresses) {
    const parsedAddress = ipaddr.process(address); // an IPv4-mapped IPv6 address is judged as the IPv4 one
    const range = parsedAddress.range();
    if (range !== 'unicast') return `${host} is ${address === host ? '' : `${address}, `}a ${range} address; allow it by name in WEBHOOK_ALLOWED_HOSTS if it is meant`;
  }
  return undefined;
}
