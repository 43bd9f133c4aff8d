import { lookup as dnsLookup, LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a webhook may not reach unless allowed by configuration: this host, private networks, link-local
 * (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, documentation, benchmarking and reserved
 * ranges, and the IPv6 forms that embed or translate IPv4 (NAT64, 6to4, Teredo). IPv4-mapped IPv6 addresses
 * (::ffff:127.0.0.1) match the IPv4 ranges (net.BlockList does so).
 */
const SPECIAL_USE: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001::', 23, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['2002::', 16, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** Names that stand for this host or an internal service (cloud metadata), whatever DNS says of them. */
const INTERNAL_NAME = /(^|\.)(localhost|internal|local|home\.arpa|arpa)$|^metadata(\.goog)?$/;

/** A URL's host without the brackets of an IPv6 literal nor a trailing dot. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** Why a delivery was not sent to an address the policy refuses. */
export class WebhookTargetRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'WebhookTargetRefused';
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * Where webhooks may go: anywhere public, and to private or special-use addresses (loopback, private ranges,
 * link-local, metadata names) only when the configured allow list names them (in-house receivers). Checked
 * when a subscription is registered and again at every connection: `lookup` resolves a name and hands the
 * connection only the addresses it checked, so a name that resolves elsewhere later (DNS rebinding) cannot
 * turn a delivery inwards.
 */
export class WebhookTargets {
  private readonly specialUse = new BlockList();
  private readonly allowedAddresses = new BlockList();
  private readonly allowedNames: ReadonlySet<string>;

  /** `allowed`: entries as the configuration validated them (allowedTargetProblem). */
  constructor(
    allowed: readonly string[] = [],
    private readonly resolve: typeof dnsLookup = dnsLookup,
  ) {
    for (const [network, prefix, family] of SPECIAL_USE) this.specialUse.addSubnet(network, prefix, family);
    const names = new Set<string>();
    for (const entry of allowed) {
      const [address, prefix] = entry.split('/') as [string, string?];
      const family = isIP(address);
      if (family === 0) names.add(entry.toLowerCase().replace(/\.$/, ''));
      else if (prefix === undefined)
        this.allowedAddresses.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
      else this.allowedAddresses.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    }
    this.allowedNames = names;
  }

  /** Why an IP address may not be a webhook's, or undefined when it may. */
  addressProblem(address: string): string | undefined {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.allowedAddresses.check(address, family)) return undefined;
    if (!this.specialUse.check(address, family)) return undefined;
    return 'is a private or special-use address (loopback, private network, link-local, multicast…); in-house receivers must be named in LEDGER_WEBHOOK_ALLOWED_TARGETS';
  }

  /**
   * Why the URL's host may not receive webhooks, known without a connection: an address literal in any
   * spelling (the URL parser makes 0x7f.0.0.1, 2130706433 and 127.1 into 127.0.0.1), or an internal name.
   */
  hostProblem(url: URL): string | undefined {
    const host = hostOf(url);
    if (isIP(host) !== 0) return this.addressProblem(host);
    if (this.allowedNames.has(host)) return undefined;
    if (INTERNAL_NAME.test(host)) {
      return 'names this host or an internal service; in-house receivers must be named in LEDGER_WEBHOOK_ALLOWED_TARGETS';
    }
    return undefined;
  }

  /**
   * At registration: the host as above, and a name that resolves now must resolve to allowed addresses only.
   * A name that does not resolve yet is taken: every connection checks it again.
   */
  async registrationProblem(url: URL): Promise<string | undefined> {
    const problem = this.hostProblem(url);
    const host = hostOf(url);
    if (problem || isIP(host) !== 0 || this.allowedNames.has(host)) return problem;
    const addresses = await new Promise<LookupAddress[]>((resolve) =>
      this.resolve(host, { all: true }, (error, found) => resolve(error ? [] : found)),
    );
    const refused = addresses.find(({ address }) => this.addressProblem(address));
    return refused && `resolves to ${refused.address}, which ${this.addressProblem(refused.address)}`;
  }

  /**
   * A `lookup` for http.request: resolves the name, refuses the connection when any address it resolves to is
   * refused, and hands over only the checked addresses. Allowed names are resolved without a check.
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    this.resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      if (!this.allowedNames.has(host)) {
        const refused = addresses.find(({ address }) => this.addressProblem(address));
        if (refused) {
          return callback(new WebhookTargetRefused(`${hostname} resolves to a refused address`), []);
        }
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
