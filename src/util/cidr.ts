import net from 'node:net';

/** A parsed CIDR list answering "is this IP inside any of them?" (IPv4 and IPv6). */
export class CidrSet {
  private readonly list = new net.BlockList();
  readonly size: number;
  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
      this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.size = cidrs.length;
  }
  /** True when `ip` (or the network address of `ip/prefix`) lies in any range. */
  contains(ipOrCidr: string): boolean {
    const [ip] = ipOrCidr.split('/');
    if (!ip) return false;
    const family = net.isIP(ip);
    if (family === 0) return false;
    const parsed = parseCidr(ipOrCidr.includes('/') ? ipOrCidr : `${ip}/${family === 4 ? 32 : 128}`);
    if (!parsed) return false;
    // A rule `a.b.c.d/24` is inside only if its whole range is: check the prefix is at least as narrow.
    return this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6') && this.narrowEnough(parsed);
  }
  private narrowEnough(rule: { address: string; prefix: number; family: 'ipv4' | 'ipv6' }): boolean {
    return this.cidrs.some((c) => {
      const p = parseCidr(c);
      return p !== undefined && p.family === rule.family && p.prefix <= rule.prefix && this.sameNet(p, rule);
    });
  }
  private sameNet(
    outer: { address: string; prefix: number; family: 'ipv4' | 'ipv6' },
    inner: { address: string; family: 'ipv4' | 'ipv6' },
  ): boolean {
    const one = new net.BlockList();
    one.addSubnet(outer.address, outer.prefix, outer.family);
    return one.check(inner.address, inner.family);
  }
}

/** Parses `a.b.c.d/n` or `v6::/n` (a bare IP is a /32 or /128); undefined when invalid. */
export function parseCidr(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  if (!address || extra !== undefined) return undefined;
  const version = net.isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
