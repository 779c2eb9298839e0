import type { lookup } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { DnsHostResolver } from '../../../lambdas/adapters/dns-host-resolver.ts';
import { HostNotFoundError } from '../../../lambdas/domain/webhook-url.ts';

/** A fake getaddrinfo: no test here asks real DNS. */
const fakeLookup = (answer: (host: string, options: unknown) => Promise<unknown>) => answer as unknown as typeof lookup;
const dnsError = (code: string) => Object.assign(new Error(`getaddrinfo ${code} x`), { code });

describe('DnsHostResolver', () => {
  it('asks for every address, in the resolver order, and answers them as text', async () => {
    const calls: unknown[] = [];
    const resolver = new DnsHostResolver(
      3000,
      fakeLookup(async (host, options) => {
        calls.push([host, options]);
        return [
          { address: '93.184.216.34', family: 4 },
          { address: '2606:2800:220:1::1', family: 6 },
        ];
      }),
    );

    expect(await resolver.resolve('hooks.example.com')).toEqual(['93.184.216.34', '2606:2800:220:1::1']);
    expect(calls).toEqual([['hooks.example.com', { all: true, verbatim: true }]]);
  });

  it.each(['ENOTFOUND', 'ENODATA', 'EAI_NONAME'])('%s: the name does not resolve', async (code) => {
    const resolver = new DnsHostResolver(
      3000,
      fakeLookup(async () => Promise.reject(dnsError(code))),
    );
    await expect(resolver.resolve('nowhere.example.com')).rejects.toEqual(new HostNotFoundError());
  });

  it('EAI_AGAIN: a temporary failure, said so', async () => {
    const resolver = new DnsHostResolver(
      3000,
      fakeLookup(async () => Promise.reject(dnsError('EAI_AGAIN'))),
    );
    await expect(resolver.resolve('slow.example.com')).rejects.toThrow(
      'host name could not be resolved right now (temporary DNS failure); try again',
    );
  });

  it('a resolver that does not answer in time', async () => {
    const resolver = new DnsHostResolver(
      20,
      fakeLookup(() => new Promise(() => undefined)),
    );
    await expect(resolver.resolve('hang.example.com')).rejects.toThrow('host name could not be resolved within 0.02 s; try again');
  });

  it('anything else propagates (a 500, not a 400 blaming the URL)', async () => {
    const resolver = new DnsHostResolver(
      3000,
      fakeLookup(async () => Promise.reject(new Error('EMFILE'))),
    );
    await expect(resolver.resolve('hooks.example.com')).rejects.toThrow('EMFILE');
  });
});
