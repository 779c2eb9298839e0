import { inspect } from 'node:util';
import { PinterestClient, type PinterestClientOptions } from '../../../../lambdas/adapters/pinterest/client.ts';
import type { PinFields } from '../../../../lambdas/domain/pin.ts';

/** The Pinterest client's tests share these: a recording fetch, canned answers, network failures as undici reports them. */

export const NOW = new Date('2026-03-01T12:00:00.000Z');
export const ACCESS = 'pina_AccessTokenSecret0123456789';
export const REFRESH = 'pinr_RefreshTokenSecret0123456789';
export const CLIENT_SECRET = 'client-secret-0123456789';
export const BOARD = '549755885175';

export const PIN: PinFields = {
  board_id: BOARD,
  title: 'Oak chair',
  link: 'https://example.com/products/oak-chair',
  media_source: { source_type: 'image_url', url: 'https://example.com/images/chair.jpg' },
};

export const CREATED = {
  id: '1000000000000000001',
  created_at: '2026-03-01T12:00:01',
  board_id: BOARD,
  title: 'Oak chair',
  link: PIN.link,
};

export interface Call {
  readonly url: string;
  readonly init: RequestInit;
}

export type Responder = (call: Call) => Response | Promise<Response>;

/** A fetch that records its calls and answers with `responder` (which may throw, like undici does). */
export function fakeFetch(responder: Responder): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn: typeof fetch = async (input, init = {}) => {
    const call = { url: String(input), init };
    calls.push(call);
    return responder(call);
  };
  return { fetch: fn, calls };
}

export function client(responder: Responder, options: Partial<PinterestClientOptions> = {}) {
  const fake = fakeFetch(responder);
  const api = new PinterestClient({
    baseUrl: 'https://api.pinterest.com',
    clientId: '1234567',
    clientSecret: CLIENT_SECRET,
    timeoutMs: 5000,
    fetch: fake.fetch,
    now: () => NOW,
    ...options,
  });
  return { api, calls: fake.calls };
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
export const text = (status: number, body: string, headers: Record<string, string> = {}) => new Response(body, { status, headers });

/** Node net/dns/TLS errors as undici reports them: TypeError('fetch failed') with the cause attached. */
export const netError = (code: string, extra: Record<string, unknown> = {}, message = `${code} happened`) =>
  Object.assign(new Error(message), { code, ...extra });
export const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

/** Everything a logger could print about an error. */
export function everything(error: unknown): string {
  const e = error as Error;
  return [e.message, e.stack, JSON.stringify(error), inspect(error, { depth: 10 })].join('\n');
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
