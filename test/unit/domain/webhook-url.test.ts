import { describe, expect, it } from 'vitest';
import {
  addressProblem,
  checkWebhookUrl,
  classifyAddress,
  HostNotFoundError,
  parseIpv6,
  parseWebhookUrl,
  WebhookUrlError,
  type ResolveHost,
} from '../../../lambdas/domain/webhook-url.ts';

const DEPLOYED = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

/** A resolver from a table; unknown names do not resolve. No DNS is ever asked. */
const resolver =
  (table: Record<string, readonly string[]>): ResolveHost =>
  async (host) => {
    const found = table[host];
    if (!found) throw new HostNotFoundError();
    return found;
  };

const problemOf = (url: string, options = DEPLOYED): string | undefined => {
  try {
    parseWebhookUrl(url, options);
    return undefined;
  } catch (error) {
    if (error instanceof WebhookUrlError) return error.message;
    throw error;
  }
};

describe('parseWebhookUrl: the static rules', () => {
  it.each([
    'https://hooks.example.com/pinrelay',
    'https://hooks.example.com:8443/a/b?c=d&e=f',
    'https://HOOKS.Example.COM/Path',
    'https://hooks.example.com./trailing-dot',
    'https://8.8.8.8/hook',
    'https://[2606:4700:4700::1111]/hook',
    'https://xn--bcher-kva.example/hook',
    'https://bücher.example/hook',
  ])('accepts %s', (url) => {
    expect(problemOf(url)).toBeUndefined();
  });

  it.each([
    // scheme and shape
    ['http://hooks.example.com/x', 'must use https://'],
    ['ftp://hooks.example.com/x', 'must be an absolute https:// URL'],
    ['hooks.example.com/x', 'must be an absolute https:// URL'],
    ['https:/hooks.example.com/x', 'must be an absolute https:// URL'],
    ['https://hooks.example.com/a b', 'must not contain whitespace or control characters'],
    ['https://hooks.example.com/\u0000', 'must not contain whitespace or control characters'],
    [`https://hooks.example.com/${'a'.repeat(2030)}`, 'must be at most 2048 characters'],
    ['https://hooks.example.com/x#frag', 'must not contain a fragment (#…): it is never sent'],
    ['https://hooks.example.com/x#', 'must not contain a fragment (#…): it is never sent'],
    ['https://hooks.example.com/*/x', 'must not contain "*" (EventBridge reads it as a path parameter)'],
    // credentials
    [
      'https://user:secret@hooks.example.com/x',
      'must not contain a user name or password (the subscription secret authenticates deliveries)',
    ],
    ['https://user@hooks.example.com/x', 'must not contain a user name or password (the subscription secret authenticates deliveries)'],
    ['https://:pw@hooks.example.com/x', 'must not contain a user name or password (the subscription secret authenticates deliveries)'],
    // host names
    ['https://intranet/x', 'must name a fully qualified host (a single-label name resolves inside the network)'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'must not point to a cloud metadata endpoint'],
    ['https://METADATA.google.internal./x', 'must not point to a cloud metadata endpoint'],
    ['https://instance-data/latest', 'must not point to a cloud metadata endpoint'],
    ['https://localhost/x', 'must not point to a loopback address (localhost)'],
    ['https://app.localhost/x', 'must not point to a loopback address (localhost)'],
    // private ranges, each end
    ['https://10.0.0.0/x', 'must not point to a private address (10.0.0.0/8)'],
    ['https://10.255.255.255/x', 'must not point to a private address (10.0.0.0/8)'],
    ['https://172.16.0.1/x', 'must not point to a private address (172.16.0.0/12)'],
    ['https://172.31.255.254/x', 'must not point to a private address (172.16.0.0/12)'],
    ['https://192.168.0.1/x', 'must not point to a private address (192.168.0.0/16)'],
    ['https://100.64.0.1/x', 'must not point to a private address (100.64.0.0/10)'],
    ['https://100.127.255.255/x', 'must not point to a private address (100.64.0.0/10)'],
    ['https://[fc00::1]/x', 'must not point to a private address (fc00::/7)'],
    ['https://[fdff:ffff::1]/x', 'must not point to a private address (fc00::/7)'],
    // loopback, link-local, unspecified, multicast, reserved
    ['https://127.0.0.1/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://127.255.255.254/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://[::1]/x', 'must not point to a loopback address (::1/128)'],
    ['https://169.254.0.1/x', 'must not point to a link-local address (169.254.0.0/16)'],
    ['https://[fe80::1]/x', 'must not point to a link-local address (fe80::/10)'],
    ['https://0.0.0.0/x', 'must not point to the unspecified address (0.0.0.0/32)'],
    ['https://[::]/x', 'must not point to the unspecified address (::/128)'],
    ['https://224.0.0.1/x', 'must not point to a multicast address (224.0.0.0/4)'],
    ['https://239.255.255.250/x', 'must not point to a multicast address (224.0.0.0/4)'],
    ['https://[ff02::1]/x', 'must not point to a multicast address (ff00::/8)'],
    ['https://255.255.255.255/x', 'must not point to a reserved address (240.0.0.0/4)'],
    ['https://0.1.2.3/x', 'must not point to a reserved address (0.0.0.0/8)'],
    ['https://192.0.2.10/x', 'must not point to a reserved address (192.0.2.0/24)'],
    ['https://[2001:db8::1]/x', 'must not point to a reserved address (2001:db8::/32)'],
    // cloud metadata
    ['https://169.254.169.254/latest/meta-data/', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
    ['https://[fd00:ec2::254]/latest/meta-data/', 'must not point to a cloud metadata endpoint (fd00:ec2::254/128)'],
    // other spellings of the same addresses (WHATWG URL parsing normalises them; each must still be caught)
    ['https://2130706433/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://0x7f000001/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://0x7f.1/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://0177.0.0.1/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://127.1/x', 'must not point to a loopback address (127.0.0.0/8)'],
    ['https://2852039166/latest/meta-data/', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
    ['https://0xa9.0xfe.0xa9.0xfe/x', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
    ['https://012.0.0.1/x', 'must not point to a private address (10.0.0.0/8)'],
    ['https://%31%32%37.0.0.1/x', 'must not point to a loopback address (127.0.0.0/8)'],
    // IPv4 inside IPv6
    ['https://[::ffff:127.0.0.1]/x', 'must not point to a loopback address (127.0.0.0/8 via IPv4-mapped IPv6)'],
    ['https://[::ffff:a9fe:a9fe]/x', 'must not point to a cloud metadata endpoint (169.254.169.254/32 via IPv4-mapped IPv6)'],
    ['https://[0:0:0:0:0:ffff:10.0.0.1]/x', 'must not point to a private address (10.0.0.0/8 via IPv4-mapped IPv6)'],
    ['https://[::10.0.0.1]/x', 'must not point to a private address (10.0.0.0/8 via IPv4-compatible IPv6)'],
    ['https://[64:ff9b::a9fe:a9fe]/x', 'must not point to a cloud metadata endpoint (169.254.169.254/32 via NAT64)'],
    ['https://[2002:c0a8:0101::1]/x', 'must not point to a private address (192.168.0.0/16 via 6to4)'],
  ])('refuses %s', (url, message) => {
    expect(problemOf(url)).toBe(message);
  });

  it('never quotes the URL in a message (it may carry a token)', () => {
    expect(problemOf('https://user:tok_123@10.0.0.1/?key=tok_456')).not.toMatch(/tok_/);
  });

  describe('local mode', () => {
    it.each([
      'http://127.0.0.1:4000/hook',
      'http://127.0.0.1/hook',
      'http://localhost:4000/hook',
      'http://LOCALHOST:4000/hook',
      'https://127.0.0.1:8443/hook',
      'https://[::1]:8443/hook',
      'https://hooks.example.com/hook',
    ])('accepts %s', (url) => {
      expect(problemOf(url, LOCAL)).toBeUndefined();
    });

    it.each([
      ['http://hooks.example.com/x', 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)'],
      ['http://127.0.0.2:4000/x', 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)'],
      ['http://[::1]:4000/x', 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)'],
      ['http://10.0.0.1:4000/x', 'must use https:// (http:// only for 127.0.0.1 and localhost in local mode)'],
      ['https://10.0.0.1/x', 'must not point to a private address (10.0.0.0/8)'],
      ['https://169.254.169.254/x', 'must not point to a cloud metadata endpoint (169.254.169.254/32)'],
      ['http://user:pw@127.0.0.1:4000/x', 'must not contain a user name or password (the subscription secret authenticates deliveries)'],
    ])('still refuses %s', (url, message) => {
      expect(problemOf(url, LOCAL)).toBe(message);
    });
  });
});

describe('checkWebhookUrl: host names are judged by every address they resolve to now', () => {
  const table = {
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'mixed.example.com': ['93.184.216.34', '10.0.0.7'],
    'v6private.example.com': ['2606:2800:220:1::1', 'fd12:3456::1'],
    'mapped.example.com': ['::ffff:169.254.169.254'],
    'loopback.example.com': ['127.0.0.1'],
    'empty.example.com': [],
    localhost: ['127.0.0.1', '::1'],
  };
  const resolve = resolver(table);

  it('resolves names only (IP literals are never looked up) and returns the normalised URL', async () => {
    const looked: string[] = [];
    const spy: ResolveHost = async (host) => {
      looked.push(host);
      return resolve(host);
    };
    expect(await checkWebhookUrl('HTTPS://Hooks.Example.com:443/a?b=c', spy, DEPLOYED)).toBe('https://hooks.example.com/a?b=c');
    expect(await checkWebhookUrl('https://8.8.8.8/x', spy, DEPLOYED)).toBe('https://8.8.8.8/x');
    expect(looked).toEqual(['hooks.example.com']);
  });

  it.each([
    ['https://mixed.example.com/x', 'host name resolves to a private address (10.0.0.0/8)'],
    ['https://v6private.example.com/x', 'host name resolves to a private address (fc00::/7)'],
    ['https://mapped.example.com/x', 'host name resolves to a cloud metadata endpoint (169.254.169.254/32 via IPv4-mapped IPv6)'],
    ['https://loopback.example.com/x', 'host name resolves to a loopback address (127.0.0.0/8)'],
    ['https://unknown.example.com/x', 'host name does not resolve (no A or AAAA record): check the URL, or create the DNS record first'],
    ['https://empty.example.com/x', 'host name does not resolve (no A or AAAA record): check the URL, or create the DNS record first'],
  ])('refuses %s', async (url, message) => {
    await expect(checkWebhookUrl(url, resolve, DEPLOYED)).rejects.toEqual(new WebhookUrlError(message));
  });

  it('local mode: a name resolving to loopback is fine, private still is not', async () => {
    expect(await checkWebhookUrl('http://localhost:4000/hook', resolve, LOCAL)).toBe('http://localhost:4000/hook');
    expect(await checkWebhookUrl('https://loopback.example.com/x', resolve, LOCAL)).toBe('https://loopback.example.com/x');
    await expect(checkWebhookUrl('https://mixed.example.com/x', resolve, LOCAL)).rejects.toThrow(
      'host name resolves to a private address (10.0.0.0/8)',
    );
  });

  it('a resolver failure that is not "no such name" is not a 400: it propagates', async () => {
    const broken: ResolveHost = async () => {
      throw new Error('resolver crashed');
    };
    await expect(checkWebhookUrl('https://hooks.example.com/x', broken, DEPLOYED)).rejects.toThrow('resolver crashed');
  });
});

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['169.253.255.255', 'public'],
    ['223.255.255.255', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['2002:0808:0808::1', 'public'],
    ['fe80::1%eth0', 'link-local'],
    ['FE80::ABCD', 'link-local'],
    ['fec0::1', 'private'],
    ['64:ff9b:1::a', 'private'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['not-an-ip', 'reserved'],
    ['1.2.3', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it('loopback is allowed only in local mode', () => {
    expect(addressProblem('127.0.0.1', DEPLOYED)).toBe('a loopback address (127.0.0.0/8)');
    expect(addressProblem('127.0.0.1', LOCAL)).toBeUndefined();
    expect(addressProblem('::1', LOCAL)).toBeUndefined();
    expect(addressProblem('10.0.0.1', LOCAL)).toBe('a private address (10.0.0.0/8)');
  });
});

describe('parseIpv6', () => {
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
    ['[fd00:ec2::254]', [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]],
    ['::ffff:127.0.0.1', [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
  ])('%s', (text, groups) => {
    expect(parseIpv6(text)).toEqual(groups);
  });

  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', 'g::1', '1.2.3.4', '::1.2.3', '1:2:3:4:5:6:7::8'])('refuses %s', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });
});
