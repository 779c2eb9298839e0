/**
 * Which URLs a webhook subscription may deliver to. Pure: the one look-up this needs (a host name's
 * addresses) comes in as a function, so the rules are tested with fakes and need no DNS.
 *
 * A URL is accepted when
 * - it is an absolute `https://` URL of at most 2048 characters, without whitespace, user name or password,
 *   fragment or `*` (EventBridge reads `*` in an API destination's endpoint as a path parameter);
 * - its host is a fully qualified name or an IP address (single-label names would resolve through search
 *   domains to hosts inside the network);
 * - neither the host nor any address it resolves to *now* is private (10/8, 172.16/12, 192.168/16, 100.64/10,
 *   fc00::/7), loopback (127/8, ::1), link-local (169.254/16, fe80::/10), unspecified (0.0.0.0, ::),
 *   multicast, reserved or documentation space, or a cloud metadata endpoint (169.254.169.254,
 *   fd00:ec2::254, metadata.google.internal); IPv4 inside IPv6 (mapped `::ffff:a.b.c.d`, compatible, NAT64,
 *   6to4) is judged by its IPv4 address, and every IPv4 spelling (decimal `2130706433`, hex `0x7f.1`, octal)
 *   by the address it means.
 *
 * Local mode (`allowLoopback`) also accepts loopback addresses, and plain `http://` for the hosts
 * `127.0.0.1` and `localhost` only, so a receiver on the same machine needs no certificate.
 *
 * Checked when the subscription is created. EventBridge resolves the name again for every delivery, so a
 * name that later points somewhere else (DNS rebinding) is not caught here: docs/adr/0011-webhooks.md.
 */

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface WebhookUrlOptions {
  /** Local mode only: loopback addresses, and http:// for 127.0.0.1 and localhost. */
  readonly allowLoopback: boolean;
}

/** A host name's addresses (IPv4 and IPv6, as text). Throws HostNotFoundError when the name does not resolve. */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

export class HostNotFoundError extends Error {
  constructor(message = 'host name does not resolve (no A or AAAA record): check the URL, or create the DNS record first') {
    super(message);
    this.name = 'HostNotFoundError';
  }
}

/** Why a URL was refused; `message` never quotes the URL (it may carry a token) and names the rule. */
export class WebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

/** What kind of address an IP is, and the range that says so. */
export type AddressKind = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'metadata';

export interface AddressClass {
  readonly kind: AddressKind;
  /** The matching range (`10.0.0.0/8`) or endpoint; absent for public addresses. */
  readonly range?: string;
}

const V4_RANGES: readonly { readonly cidr: string; readonly kind: Exclude<AddressKind, 'public'> }[] = [
  // Most specific first: the metadata endpoint sits inside link-local.
  { cidr: '169.254.169.254/32', kind: 'metadata' },
  { cidr: '0.0.0.0/32', kind: 'unspecified' },
  { cidr: '0.0.0.0/8', kind: 'reserved' },
  { cidr: '10.0.0.0/8', kind: 'private' },
  { cidr: '100.64.0.0/10', kind: 'private' },
  { cidr: '127.0.0.0/8', kind: 'loopback' },
  { cidr: '169.254.0.0/16', kind: 'link-local' },
  { cidr: '172.16.0.0/12', kind: 'private' },
  { cidr: '192.0.0.0/24', kind: 'reserved' },
  { cidr: '192.0.2.0/24', kind: 'reserved' },
  { cidr: '192.88.99.0/24', kind: 'reserved' },
  { cidr: '192.168.0.0/16', kind: 'private' },
  { cidr: '198.18.0.0/15', kind: 'reserved' },
  { cidr: '198.51.100.0/24', kind: 'reserved' },
  { cidr: '203.0.113.0/24', kind: 'reserved' },
  { cidr: '224.0.0.0/4', kind: 'multicast' },
  { cidr: '240.0.0.0/4', kind: 'reserved' },
];

const V6_RANGES: readonly { readonly cidr: string; readonly kind: Exclude<AddressKind, 'public'> }[] = [
  { cidr: 'fd00:ec2::254/128', kind: 'metadata' },
  { cidr: '::/128', kind: 'unspecified' },
  { cidr: '::1/128', kind: 'loopback' },
  { cidr: '64:ff9b:1::/48', kind: 'private' },
  { cidr: '100::/64', kind: 'reserved' },
  { cidr: '2001::/32', kind: 'reserved' },
  { cidr: '2001:db8::/32', kind: 'reserved' },
  { cidr: 'fc00::/7', kind: 'private' },
  { cidr: 'fe80::/10', kind: 'link-local' },
  { cidr: 'fec0::/10', kind: 'private' },
  { cidr: 'ff00::/8', kind: 'multicast' },
];

/** Host names that are metadata endpoints whatever they resolve to. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** Dotted-quad IPv4 (four decimal parts 0–255) as a 32-bit number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** An IPv6 address as its eight 16-bit groups. */
export type Ipv6Groups = readonly [number, number, number, number, number, number, number, number];

const isEightGroups = (groups: readonly number[]): groups is Ipv6Groups => groups.length === 8;

/** Any IPv6 text form (compressed, embedded dotted IPv4, zone id) as eight 16-bit groups, or undefined. */
export function parseIpv6(text: string): Ipv6Groups | undefined {
  let s = text.toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  // split always yields at least one part: `first` is never the default.
  const [first = '', second, ...more] = s.split('::');
  if (more.length > 0) return undefined;
  const groups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : Number.NaN));
  const head = groups(first);
  const rest = second === undefined ? [] : groups(second);
  if ([...head, ...rest].some(Number.isNaN)) return undefined;
  if (second === undefined) return isEightGroups(head) ? head : undefined;
  const missing = 8 - head.length - rest.length;
  if (missing < 1) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...rest];
  return isEightGroups(all) ? all : undefined;
}

/** A CIDR block: its network address and prefix length. */
interface Block<Address> {
  readonly cidr: string;
  readonly network: Address;
  readonly bits: number;
}

/** Parses one of the constant CIDR blocks above; a malformed one is a bug, found when the module loads. */
function block<Address>(cidr: string, parse: (text: string) => Address | undefined): Block<Address> {
  const [base = '', bitsText] = cidr.split('/');
  const network = parse(base);
  if (network === undefined) throw new Error(`malformed CIDR constant ${cidr}`);
  return { cidr, network, bits: Number(bitsText) };
}

const V4_BLOCKS = V4_RANGES.map((r) => ({ ...block(r.cidr, parseIpv4), kind: r.kind }));
const V6_BLOCKS = V6_RANGES.map((r) => ({ ...block(r.cidr, parseIpv6), kind: r.kind }));
const NAT64 = block('64:ff9b::/96', parseIpv6);

function v4InBlock(ip: number, { network, bits }: Block<number>): boolean {
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(ip / 2 ** shift) === Math.floor(network / 2 ** shift);
}

function v6InBlock(groups: Ipv6Groups, { network, bits }: Block<Ipv6Groups>): boolean {
  let left = bits;
  for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
    const take = Math.min(16, left);
    const mask = (0xffff << (16 - take)) & 0xffff;
    // Both hold eight groups and i < 8: the defaults never apply.
    if (((groups[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyV4(ip: number): AddressClass {
  const range = V4_BLOCKS.find((r) => v4InBlock(ip, r));
  return range ? { kind: range.kind, range: range.cidr } : { kind: 'public' };
}

const v4Of = (high: number, low: number) => high * 65536 + low;

/**
 * What an IP address is. IPv4 embedded in IPv6 — mapped (::ffff:0:0/96), compatible (::/96), NAT64
 * (64:ff9b::/96) and 6to4 (2002::/16) — is judged by the IPv4 address it carries. Text that is no IP
 * address at all is `reserved` (refused).
 */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return classifyV4(v4);
  const g = parseIpv6(address);
  if (!g) return { kind: 'reserved', range: 'not an IP address' };
  const range = V6_BLOCKS.find((r) => v6InBlock(g, r));
  if (range) return { kind: range.kind, range: range.cidr };
  const embedded = (v4Address: number, via: string): AddressClass => {
    const inner = classifyV4(v4Address);
    return inner.kind === 'public' ? inner : { kind: inner.kind, range: `${inner.range} via ${via}` };
  };
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return embedded(v4Of(g[6], g[7]), 'IPv4-mapped IPv6');
  if (g.slice(0, 6).every((x) => x === 0)) return embedded(v4Of(g[6], g[7]), 'IPv4-compatible IPv6');
  if (v6InBlock(g, NAT64)) return embedded(v4Of(g[6], g[7]), 'NAT64');
  if (g[0] === 0x2002) return embedded(v4Of(g[1], g[2]), '6to4');
  return { kind: 'public' };
}

const DESCRIPTION: Record<Exclude<AddressKind, 'public'>, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  metadata: 'a cloud metadata endpoint',
};

/** Why deliveries may not go to this address, or undefined when they may. */
export function addressProblem(address: string, options: WebhookUrlOptions): string | undefined {
  const { kind, range } = classifyAddress(address);
  if (kind === 'public') return undefined;
  if (kind === 'loopback' && options.allowLoopback) return undefined;
  return `${DESCRIPTION[kind]} (${range})`;
}

/** The URL's host as an IP address (brackets removed), or undefined for a name. */
function ipLiteral(hostname: string): string | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  // WHATWG URL parsing has already turned every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1) into a dotted quad.
  return parseIpv4(hostname) !== undefined ? hostname : undefined;
}

const LOCAL_HTTP_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * The static rules (no resolution): the parsed URL and, for a host name, the name to resolve. Throws
 * WebhookUrlError.
 */
export function parseWebhookUrl(
  text: string,
  options: WebhookUrlOptions,
): { readonly url: URL; readonly hostname: string; readonly ip?: string } {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) throw new WebhookUrlError(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters and refuse the URL
  if (/[\s\u0000-\u001f\u007f]/.test(text)) throw new WebhookUrlError('must not contain whitespace or control characters');
  // The text itself must be absolute: `https:/x` or `https:x` would be repaired by the parser.
  if (!/^https?:\/\/[^/\\]/i.test(text))
    throw new WebhookUrlError(
      options.allowLoopback ? 'must be an absolute https:// (or local http://) URL' : 'must be an absolute https:// URL',
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlError('must be an absolute https:// URL');
  }
  if (url.username !== '' || url.password !== '')
    throw new WebhookUrlError('must not contain a user name or password (the subscription secret authenticates deliveries)');
  if (url.hash !== '' || text.includes('#')) throw new WebhookUrlError('must not contain a fragment (#…): it is never sent');
  if (text.includes('*')) throw new WebhookUrlError('must not contain "*" (EventBridge reads it as a path parameter)');
  const hostname = url.hostname.toLowerCase();
  if (hostname === '') throw new WebhookUrlError('must name a host');
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (url.protocol === 'http:') {
    if (!(options.allowLoopback && LOCAL_HTTP_HOSTS.has(name))) {
      throw new WebhookUrlError(
        options.allowLoopback ? 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)' : 'must use https://',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new WebhookUrlError('must use https://');
  }
  const ip = ipLiteral(hostname);
  if (ip !== undefined) {
    const problem = addressProblem(ip, options);
    if (problem) throw new WebhookUrlError(`must not point to ${problem}`);
    return { url, hostname, ip };
  }
  if (METADATA_HOSTS.has(name)) throw new WebhookUrlError('must not point to a cloud metadata endpoint');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    if (!options.allowLoopback) throw new WebhookUrlError('must not point to a loopback address (localhost)');
  } else if (!name.includes('.')) {
    throw new WebhookUrlError('must name a fully qualified host (a single-label name resolves inside the network)');
  }
  return { url, hostname: name };
}

/**
 * Every rule, the host name's current addresses included. Returns the normalised URL (what EventBridge
 * will call); throws WebhookUrlError naming the rule broken, or why the name could not be checked.
 */
export async function checkWebhookUrl(text: string, resolve: ResolveHost, options: WebhookUrlOptions): Promise<string> {
  const parsed = parseWebhookUrl(text, options);
  if (parsed.ip === undefined) {
    let addresses: readonly string[];
    try {
      addresses = await resolve(parsed.hostname);
    } catch (error) {
      if (error instanceof HostNotFoundError) throw new WebhookUrlError(error.message);
      throw error;
    }
    if (addresses.length === 0) throw new WebhookUrlError(new HostNotFoundError().message);
    for (const address of addresses) {
      const problem = addressProblem(address, options);
      if (problem) throw new WebhookUrlError(`host name resolves to ${problem}`);
    }
  }
  return parsed.url.href;
}
