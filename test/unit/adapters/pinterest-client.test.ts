import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  attemptInputOf,
  parseRetryAfter,
  PinterestClient,
  PinterestError,
  PinterestHttpError,
  PinterestResponseError,
  PinterestTransportError,
  sendPhaseOf,
  type PinterestClientOptions,
} from '../../../lambdas/adapters/pinterest-client.ts';
import type { PinFields } from '../../../lambdas/api/schemas.ts';
import { classifyAttempt } from '../../../lambdas/domain/classify.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ACCESS = 'pina_AccessTokenSecret0123456789';
const REFRESH = 'pinr_RefreshTokenSecret0123456789';
const CLIENT_SECRET = 'client-secret-0123456789';
const BOARD = '549755885175';

const PIN: PinFields = {
  board_id: BOARD,
  title: 'Oak chair',
  link: 'https://example.com/products/oak-chair',
  media_source: { source_type: 'image_url', url: 'https://example.com/images/chair.jpg' },
};

const CREATED = { id: '1000000000000000001', created_at: '2026-03-01T12:00:01', board_id: BOARD, title: 'Oak chair', link: PIN.link };

interface Call {
  readonly url: string;
  readonly init: RequestInit;
}

type Responder = (call: Call) => Response | Promise<Response>;

/** A fetch that records its calls and answers with `responder` (which may throw, like undici does). */
function fakeFetch(responder: Responder): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn: typeof fetch = async (input, init = {}) => {
    const call = { url: String(input), init };
    calls.push(call);
    return responder(call);
  };
  return { fetch: fn, calls };
}

function client(responder: Responder, options: Partial<PinterestClientOptions> = {}) {
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

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const text = (status: number, body: string, headers: Record<string, string> = {}) => new Response(body, { status, headers });

/** Node net/dns/TLS errors as undici reports them: TypeError('fetch failed') with the cause attached. */
const netError = (code: string, extra: Record<string, unknown> = {}, message = `${code} happened`) =>
  Object.assign(new Error(message), { code, ...extra });
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

/** Everything a logger could print about an error. */
function everything(error: unknown): string {
  const e = error as Error;
  return [e.message, e.stack, JSON.stringify(error), inspect(error, { depth: 10 })].join('\n');
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('PinterestClient.createPin', () => {
  it('POSTs the pin as JSON with the bearer token and returns the created Pin', async () => {
    // Prepare
    const { api, calls } = client(() => json(201, CREATED));

    // Act
    const created = await api.createPin(ACCESS, PIN);

    // Assess
    expect(created).toEqual(CREATED);
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe('https://api.pinterest.com/v5/pins');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual(PIN);
    const headers = new Headers(init.headers);
    expect(headers.get('authorization')).toBe(`Bearer ${ACCESS}`);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('accept')).toBe('application/json');
    expect(init.redirect).toBe('manual');
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(init.signal?.aborted).toBe(false);
  });

  it.each([
    ['https://api-sandbox.pinterest.com', 'https://api-sandbox.pinterest.com/v5/pins'],
    ['https://api-sandbox.pinterest.com/', 'https://api-sandbox.pinterest.com/v5/pins'],
    ['http://127.0.0.1:3100', 'http://127.0.0.1:3100/v5/pins'],
  ])('builds the URL from the origin %s', async (baseUrl, expected) => {
    const { api, calls } = client(() => json(201, CREATED), { baseUrl });
    await api.createPin(ACCESS, PIN);
    expect(calls[0]!.url).toBe(expected);
  });

  it('accepts any 2xx with a Pin', async () => {
    const { api } = client(() => json(200, { id: '42' }));
    await expect(api.createPin(ACCESS, PIN)).resolves.toEqual({ id: '42' });
  });
});

describe('PinterestClient.listBoardPins', () => {
  it('GETs the board pins with page size and bookmark', async () => {
    // Prepare
    const page = { items: [CREATED, { id: '2' }], bookmark: 'Yj0x' };
    const { api, calls } = client(() => json(200, page));

    // Act
    const result = await api.listBoardPins(ACCESS, BOARD, { pageSize: 50, bookmark: 'Yj0w' });

    // Assess
    expect(result).toEqual(page);
    const url = new URL(calls[0]!.url);
    expect(url.pathname).toBe(`/v5/boards/${BOARD}/pins`);
    expect(url.searchParams.get('page_size')).toBe('50');
    expect(url.searchParams.get('bookmark')).toBe('Yj0w');
    expect(calls[0]!.init.method).toBe('GET');
    expect(new Headers(calls[0]!.init.headers).get('authorization')).toBe(`Bearer ${ACCESS}`);
  });

  it.each([
    [undefined, '250'],
    [1000, '250'],
    [0, '1'],
    [25.7, '25'],
    [Number.NaN, '250'],
  ])('page size %s ⇒ page_size=%s, and no bookmark parameter when none is given', async (pageSize, expected) => {
    const { api, calls } = client(() => json(200, { items: [] }));
    await api.listBoardPins(ACCESS, BOARD, pageSize === undefined ? {} : { pageSize });
    const url = new URL(calls[0]!.url);
    expect(url.searchParams.get('page_size')).toBe(expected);
    expect(url.searchParams.has('bookmark')).toBe(false);
  });

  it.each([
    ['absent', {}],
    ['null', { bookmark: null }],
    ['empty', { bookmark: '' }],
  ])('a %s bookmark means the last page', async (_what, extra) => {
    const { api } = client(() => json(200, { items: [], ...extra }));
    await expect(api.listBoardPins(ACCESS, BOARD)).resolves.toEqual({ items: [], bookmark: null });
  });

  it('encodes the board id into the path', async () => {
    const { api, calls } = client(() => json(200, { items: [] }));
    await api.listBoardPins(ACCESS, '12/../34');
    expect(new URL(calls[0]!.url).pathname).toBe('/v5/boards/12%2F..%2F34/pins');
  });
});

describe('PinterestClient.refreshAccessToken', () => {
  it('POSTs the refresh grant with Basic client credentials and returns absolute expiry times', async () => {
    // Prepare
    const { api, calls } = client(() =>
      json(200, {
        access_token: 'pina_new',
        refresh_token: 'pinr_new',
        expires_in: 2_592_000,
        refresh_token_expires_in: 5_184_000,
        token_type: 'bearer',
        scope: 'boards:read,pins:write',
      }),
    );

    // Act
    const tokens = await api.refreshAccessToken(REFRESH);

    // Assess
    expect(tokens).toEqual({
      accessToken: 'pina_new',
      refreshToken: 'pinr_new',
      expiresAt: '2026-03-31T12:00:00.000Z',
      refreshTokenExpiresAt: '2026-04-30T12:00:00.000Z',
      scope: 'boards:read,pins:write',
    });
    const { url, init } = calls[0]!;
    expect(url).toBe('https://api.pinterest.com/v5/oauth/token');
    expect(init.method).toBe('POST');
    const headers = new Headers(init.headers);
    expect(headers.get('authorization')).toBe(`Basic ${Buffer.from(`1234567:${CLIENT_SECRET}`).toString('base64')}`);
    expect(headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(init.body).toBe(`grant_type=refresh_token&refresh_token=${REFRESH}`);
  });

  it.each([
    ['refresh_token_expires_at (epoch seconds)', { refresh_token: 'pinr_new', refresh_token_expires_at: 1_777_550_400 }, 'pinr_new', '2026-04-30T12:00:00.000Z'],
    ['a new refresh token without expiry', { refresh_token: 'pinr_new' }, 'pinr_new', null],
    ['no new refresh token: the one sent stays in use', {}, REFRESH, null],
    ['a null refresh token', { refresh_token: null, refresh_token_expires_in: 100 }, REFRESH, null],
    ['an absurd refresh lifetime', { refresh_token: 'pinr_new', refresh_token_expires_in: 1e20 }, 'pinr_new', null],
    ['a refresh expiry in the past', { refresh_token: 'pinr_new', refresh_token_expires_at: 1_000 }, 'pinr_new', null],
  ])('%s', async (_what, extra, refreshToken, refreshTokenExpiresAt) => {
    const { api } = client(() => json(200, { access_token: 'pina_new', expires_in: 3600, ...extra }));
    await expect(api.refreshAccessToken(REFRESH)).resolves.toEqual({
      accessToken: 'pina_new',
      refreshToken,
      expiresAt: '2026-03-01T13:00:00.000Z',
      refreshTokenExpiresAt,
    });
  });

  it('counts the expiry from before the request, never later than Pinterest does', async () => {
    // Prepare: the answer takes 5 s
    let clock = NOW.getTime();
    const { api } = client(
      () => {
        clock += 5000;
        return json(200, { access_token: 'pina_new', expires_in: 3600 });
      },
      { now: () => new Date(clock) },
    );

    // Act
    const tokens = await api.refreshAccessToken(REFRESH);

    // Assess
    expect(tokens.expiresAt).toBe('2026-03-01T13:00:00.000Z');
  });

  it('form-encodes a refresh token with reserved characters', async () => {
    const { api, calls } = client(() => json(200, { access_token: 'a', expires_in: 1 }));
    await api.refreshAccessToken('a+b/c=&d');
    expect(calls[0]!.init.body).toBe('grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3D%26d');
  });
});

describe('PinterestHttpError', () => {
  it('carries status, Pinterest code and message for a non-2xx answer', async () => {
    // Prepare
    const { api } = client(() => json(404, { code: 40, message: 'Board not found.' }));

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toBeInstanceOf(PinterestHttpError);
    expect(error).toBeInstanceOf(PinterestError);
    expect(error).toMatchObject({
      name: 'PinterestHttpError',
      operation: 'create_pin',
      status: 404,
      code: 40,
      retryAfterSeconds: null,
      body: { code: 40, message: 'Board not found.' },
    });
    expect((error as Error).message).toBe('Pinterest create pin: HTTP 404 (code 40): Board not found.');
  });

  it.each([
    ['seconds', '30', 30],
    ['seconds with spaces', ' 7 ', 7],
    ['zero', '0', 0],
    ['HTTP-date 90 s ahead', 'Sun, 01 Mar 2026 12:01:30 GMT', 90],
    ['HTTP-date equal to now', 'Sun, 01 Mar 2026 12:00:00 GMT', 0],
    ['HTTP-date in the past', 'Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['negative', '-5', null],
    ['fractional', '1.5', null],
    ['garbage', 'soon', null],
    ['absent', null, null],
  ] as const)('Retry-After %s (%j) ⇒ %s', async (_what, header, expected) => {
    // Prepare
    const { api } = client(() => json(429, { code: 8, message: 'Rate limit exceeded.' }, header === null ? {} : { 'retry-after': header }));

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toMatchObject({ status: 429, code: 8, retryAfterSeconds: expected });
  });

  it.each([
    ['HTML from a proxy', text(502, '<html><body>502 Bad Gateway</body></html>'), null, '<html><body>502 Bad Gateway</body></html>', 'HTTP 502: <html><body>502 Bad Gateway</body></html>'],
    ['an empty body', text(503, ''), null, '', 'HTTP 503'],
    ['truncated JSON', text(500, '{"code": 1, "mess'), null, '{"code": 1, "mess', 'HTTP 500: {"code": 1, "mess'],
    ['a numeric-string code', json(404, { code: '2031', message: 'Section not found.' }), 2031, { code: '2031', message: 'Section not found.' }, 'HTTP 404 (code 2031): Section not found.'],
    ['a fractional code', json(400, { code: 1.5, message: 'x' }), null, { code: 1.5, message: 'x' }, 'HTTP 400: x'],
    ['a non-string message', json(400, { code: 1, message: 5 }), 1, { code: 1, message: 5 }, 'HTTP 400 (code 1): {"code":1,"message":5}'],
    ['a JSON array', json(400, [1, 2]), null, [1, 2], 'HTTP 400: [1,2]'],
    ['an OAuth-style error', json(400, { error: 'invalid_grant', error_description: 'Expired.' }), null, { error: 'invalid_grant', error_description: 'Expired.' }, 'HTTP 400: Expired.'],
  ])('tolerates %s', async (_what, response, code, body, message) => {
    // Prepare
    const { api } = client(() => response);

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toBeInstanceOf(PinterestHttpError);
    expect(error).toMatchObject({ code, body });
    expect((error as Error).message).toBe(`Pinterest create pin: ${message}`);
  });

  it('shortens a huge error body', async () => {
    const { api } = client(() => text(500, 'x'.repeat(10_000)));
    const error = (await caught(api.createPin(ACCESS, PIN))) as PinterestHttpError;
    expect(String(error.body).length).toBeLessThanOrEqual(2001);
    expect(error.message.length).toBeLessThan(400);
  });

  it('reports a redirect instead of following it (a POST must not be resent elsewhere)', async () => {
    const { api, calls } = client(() => new Response(null, { status: 307, headers: { location: 'https://elsewhere.example/v5/pins' } }));
    const error = await caught(api.createPin(ACCESS, PIN));
    expect(error).toMatchObject({ name: 'PinterestHttpError', status: 307 });
    expect(calls).toHaveLength(1);
  });

  it('keeps the status when an error body cannot be read', async () => {
    // Prepare: headers arrived, then the body stream broke
    const broken = new ReadableStream({
      start: (controller) => controller.error(new TypeError('terminated', { cause: netError('UND_ERR_SOCKET') })),
    });
    const { api } = client(() => new Response(broken, { status: 503 }));

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestHttpError', status: 503, code: null, body: null });
  });
});

describe('PinterestResponseError: a 2xx that is not the promised shape', () => {
  it.each([
    ['create: a Pin without id', 'create', json(201, { title: 'Oak chair' })],
    ['create: a numeric id', 'create', json(201, { id: 42 })],
    ['create: an empty id', 'create', json(201, { id: '' })],
    ['create: not JSON', 'create', text(201, 'Created')],
    ['create: no body', 'create', new Response(null, { status: 204 })],
    ['create: an array', 'create', json(201, [CREATED])],
    ['list: no items', 'list', json(200, { bookmark: null })],
    ['list: an item without id', 'list', json(200, { items: [CREATED, { title: 'x' }] })],
    ['refresh: no access_token', 'refresh', json(200, { expires_in: 3600 })],
    ['refresh: no expires_in', 'refresh', json(200, { access_token: 'pina_new' })],
    ['refresh: negative expires_in', 'refresh', json(200, { access_token: 'pina_new', expires_in: -1 })],
    ['refresh: an absurd expires_in', 'refresh', json(200, { access_token: 'pina_new', expires_in: 1e20 })],
    ['refresh: a numeric refresh_token', 'refresh', json(200, { access_token: 'pina_new', expires_in: 1, refresh_token: 7 })],
    ['refresh: not JSON', 'refresh', text(200, 'ok')],
  ] as const)('%s', async (_what, operation, response) => {
    // Prepare
    const { api } = client(() => response);

    // Act
    const error = await caught(
      operation === 'create' ? api.createPin(ACCESS, PIN) : operation === 'list' ? api.listBoardPins(ACCESS, BOARD) : api.refreshAccessToken(REFRESH),
    );

    // Assess
    expect(error).toBeInstanceOf(PinterestResponseError);
    expect(attemptInputOf(error)).toEqual({
      kind: 'bad_response',
      operation: operation === 'create' ? 'create_pin' : operation === 'list' ? 'list_board_pins' : 'refresh_token',
    });
  });

  it('never keeps a token response body, which may hold fresh tokens', async () => {
    const { api } = client(() => json(200, { access_token: 'pina_fresh_secret', refresh_token: 'pinr_fresh_secret' }));
    const error = await caught(api.refreshAccessToken(REFRESH));
    expect(error).toMatchObject({ name: 'PinterestResponseError', body: null });
    expect(everything(error)).not.toContain('fresh_secret');
  });
});

describe('PinterestTransportError: before_send vs after_send', () => {
  const before = 'before_send';
  const after = 'after_send';

  const rows: readonly (readonly [string, unknown, 'before_send' | 'after_send'])[] = [
    // provably never left
    ['ECONNREFUSED', fetchFailed(netError('ECONNREFUSED', { syscall: 'connect', errno: -111 })), before],
    ['DNS ENOTFOUND', fetchFailed(netError('ENOTFOUND', { syscall: 'getaddrinfo' })), before],
    ['DNS EAI_AGAIN', fetchFailed(netError('EAI_AGAIN', { syscall: 'getaddrinfo' })), before],
    ['EHOSTUNREACH', fetchFailed(netError('EHOSTUNREACH', { syscall: 'connect' })), before],
    ['ENETUNREACH', fetchFailed(netError('ENETUNREACH', { syscall: 'connect' })), before],
    ['ETIMEDOUT while connecting', fetchFailed(netError('ETIMEDOUT', { syscall: 'connect' })), before],
    ['undici connect timeout', fetchFailed(Object.assign(netError('UND_ERR_CONNECT_TIMEOUT'), { name: 'ConnectTimeoutError' })), before],
    ['TLS: self-signed certificate', fetchFailed(netError('DEPTH_ZERO_SELF_SIGNED_CERT')), before],
    ['TLS: expired certificate', fetchFailed(netError('CERT_HAS_EXPIRED')), before],
    ['TLS: host name mismatch', fetchFailed(netError('ERR_TLS_CERT_ALTNAME_INVALID')), before],
    ['TLS: wrong version number', fetchFailed(netError('ERR_SSL_WRONG_VERSION_NUMBER')), before],
    ['invalid URL inside fetch', new TypeError('Failed to parse URL from x', { cause: netError('ERR_INVALID_URL') }), before],
    ['happy eyeballs: every address refused', fetchFailed(new AggregateError([netError('ECONNREFUSED', { syscall: 'connect' }), netError('ECONNREFUSED', { syscall: 'connect' })])), before],
    ['a bare network error with a before-send code', netError('ECONNREFUSED', { syscall: 'connect' }), before],
    // may have reached Pinterest
    ['our timeout (TimeoutError)', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), after],
    ['an abort (AbortError)', new DOMException('This operation was aborted', 'AbortError'), after],
    ['other side closed (UND_ERR_SOCKET)', fetchFailed(Object.assign(netError('UND_ERR_SOCKET'), { name: 'SocketError' })), after],
    ['ECONNRESET on read', fetchFailed(netError('ECONNRESET', { syscall: 'read' })), after],
    ['ECONNRESET during the TLS handshake (not provable)', fetchFailed(netError('ECONNRESET', {}, 'Client network socket disconnected before secure TLS connection was established')), after],
    ['EPIPE on write', fetchFailed(netError('EPIPE', { syscall: 'write' })), after],
    ['headers timeout', fetchFailed(netError('UND_ERR_HEADERS_TIMEOUT')), after],
    ['body timeout', fetchFailed(netError('UND_ERR_BODY_TIMEOUT')), after],
    ['ETIMEDOUT on an open socket', fetchFailed(netError('ETIMEDOUT', { syscall: 'read' })), after],
    ['happy eyeballs: one attempt unclear', fetchFailed(new AggregateError([netError('ECONNREFUSED', { syscall: 'connect' }), netError('ECONNRESET')])), after],
    ['an empty AggregateError', fetchFailed(new AggregateError([])), after],
    ['fetch failed without a cause', new TypeError('fetch failed'), after],
    ['a plain Error', new Error('boom'), after],
    ['a numeric code', Object.assign(new Error('x'), { code: 23 }), after],
    ['a thrown string', 'boom', after],
  ];

  it.each([
    ...rows.filter(([, , phase]) => phase === before).map(([what, thrown, phase]) => [`before_send: ${what}`, thrown, phase] as const),
    ...rows.filter(([, , phase]) => phase === after).map(([what, thrown, phase]) => [`after_send: ${what}`, thrown, phase] as const),
  ])('%s', async (_what, thrown, phase) => {
    // Prepare
    const { api } = client(() => {
      throw thrown;
    });

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(sendPhaseOf(thrown)).toBe(phase);
    expect(error).toBeInstanceOf(PinterestTransportError);
    expect(error).toMatchObject({ name: 'PinterestTransportError', operation: 'create_pin', phase });
    expect((error as PinterestTransportError).cause).toBe(thrown);
    expect(attemptInputOf(error)).toEqual({ kind: 'transport', phase });
  });

  it('times out through the signal it passes to fetch', async () => {
    // Prepare: a fetch that never answers but honours its signal, as undici does
    const hang = (call: Call) =>
      new Promise<Response>((_resolve, reject) => {
        call.init.signal?.addEventListener('abort', () => reject(call.init.signal?.reason));
      });
    const { api } = client(hang, { timeoutMs: 20 });

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'after_send' });
    expect((error as PinterestTransportError).cause).toMatchObject({ name: 'TimeoutError' });
  });

  it.each([
    ['a timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError')],
    ['a dropped connection', new TypeError('terminated', { cause: netError('UND_ERR_SOCKET') })],
  ])('a 2xx whose body breaks off (%s) is after_send: the pin may exist', async (_what, failure) => {
    // Prepare
    const broken = new ReadableStream({ start: (controller) => controller.error(failure) });
    const { api } = client(() => new Response(broken, { status: 201 }));

    // Act
    const error = await caught(api.createPin(ACCESS, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'after_send' });
  });

  it('an invalid base URL is before_send and never reaches fetch', async () => {
    const { api, calls } = client(() => json(201, CREATED), { baseUrl: 'api.pinterest.com' });
    const error = await caught(api.createPin(ACCESS, PIN));
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'before_send' });
    expect(calls).toHaveLength(0);
  });

  it('a token that cannot be a header value is before_send, and the error does not quote it', async () => {
    // Prepare
    const token = 'pina_line\nbreak_secret';
    const { api, calls } = client(() => json(201, CREATED));

    // Act
    const error = await caught(api.createPin(token, PIN));

    // Assess
    expect(error).toMatchObject({ name: 'PinterestTransportError', phase: 'before_send' });
    expect(calls).toHaveLength(0);
    expect(everything(error)).not.toContain('break_secret');
  });
});

describe('secrets never reach an error', () => {
  const echo = (status: number) => (call: Call) =>
    json(status, { code: 2, message: `bad token ${new Headers(call.init.headers).get('authorization')} in ${String(call.init.body)}`, access_token: 'pina_leak' });

  it.each([
    ['create: an error body that echoes the token', (api: PinterestClient) => api.createPin(ACCESS, PIN), echo(401), [ACCESS, 'pina_leak']],
    ['list: an error body that echoes the token', (api: PinterestClient) => api.listBoardPins(ACCESS, BOARD), echo(403), [ACCESS]],
    ['refresh: an error body that echoes the request', (api: PinterestClient) => api.refreshAccessToken(REFRESH), echo(400), [REFRESH, CLIENT_SECRET, Buffer.from(`1234567:${CLIENT_SECRET}`).toString('base64')]],
    [
      'create: a network error whose message quotes the token',
      (api: PinterestClient) => api.createPin(ACCESS, PIN),
      () => {
        throw fetchFailed(netError('ECONNREFUSED', { syscall: 'connect' }, `connect refused for Bearer ${ACCESS}`));
      },
      [ACCESS],
    ],
    [
      'refresh: a network error whose message quotes the refresh token',
      (api: PinterestClient) => api.refreshAccessToken(REFRESH),
      () => {
        throw fetchFailed(new AggregateError([netError('ECONNRESET', {}, `reset while sending ${REFRESH}`)], `failed ${REFRESH}`));
      },
      [REFRESH],
    ],
  ] as const)('%s', async (_what, act, responder, secrets) => {
    // Prepare
    const { api } = client(responder);

    // Act
    const error = await caught(act(api));

    // Assess
    expect(error).toBeInstanceOf(PinterestError);
    const dump = everything(error);
    for (const secret of secrets) expect(dump).not.toContain(secret);
    expect(dump).toContain('[redacted]');
  });

  it('keeps the code of a redacted cause, so the phase survives', async () => {
    const { api } = client(() => {
      throw fetchFailed(netError('ECONNREFUSED', { syscall: 'connect' }, `refused ${ACCESS}`));
    });
    const error = (await caught(api.createPin(ACCESS, PIN))) as PinterestTransportError;
    expect(error.phase).toBe('before_send');
    expect(error.cause).toMatchObject({ name: 'TypeError', cause: { code: 'ECONNREFUSED' } });
  });
});

describe('attemptInputOf: errors mapped once to the classifier', () => {
  const http = (operation: 'create_pin' | 'list_board_pins' | 'refresh_token', status: number, code: number | null = null) =>
    new PinterestHttpError(operation, status, code, 'm', status === 429 ? 60 : null, null);
  const transport = (operation: 'create_pin' | 'list_board_pins' | 'refresh_token', phase: 'before_send' | 'after_send') =>
    new PinterestTransportError(operation, phase, 'm', new Error('x'));

  it.each([
    ['create 404/40', http('create_pin', 404, 40), { kind: 'http', status: 404, code: 40, retryAfterSeconds: null }, 'needs_human'],
    ['create 429', http('create_pin', 429, 8), { kind: 'http', status: 429, code: 8, retryAfterSeconds: 60 }, 'retry_later'],
    ['list 500', http('list_board_pins', 500), { kind: 'http', status: 500, code: null, retryAfterSeconds: null }, 'retry_now'],
    ['create before_send', transport('create_pin', 'before_send'), { kind: 'transport', phase: 'before_send' }, 'retry_now'],
    ['create after_send', transport('create_pin', 'after_send'), { kind: 'transport', phase: 'after_send' }, 'unknown'],
    ['list before_send stays unknown: verify again before any create', transport('list_board_pins', 'before_send'), { kind: 'transport', phase: 'after_send' }, 'unknown'],
    ['refresh 400', http('refresh_token', 400), { kind: 'token_refresh_failed', status: 400 }, 'needs_human'],
    ['refresh 503', http('refresh_token', 503), { kind: 'token_refresh_failed', status: 503 }, 'retry_now'],
    ['refresh after_send: no pin was sent', transport('refresh_token', 'after_send'), { kind: 'transport', phase: 'before_send' }, 'retry_now'],
    ['a bad 2xx on a create: Pinterest accepted it, verify', new PinterestResponseError('create_pin', 201, 'm', null), { kind: 'bad_response', operation: 'create_pin' }, 'unknown'],
    ['a bad 2xx on a listing: verification inconclusive', new PinterestResponseError('list_board_pins', 200, 'm', null), { kind: 'bad_response', operation: 'list_board_pins' }, 'unknown'],
    ['a bad 2xx on a refresh', new PinterestResponseError('refresh_token', 200, 'm', null), { kind: 'bad_response', operation: 'refresh_token' }, 'bug'],
    ['anything else', new RangeError('oops'), { kind: 'crash' }, 'bug'],
    ['a thrown string', 'oops', { kind: 'crash' }, 'bug'],
  ] as const)('%s', (_what, error, input, outcome) => {
    expect(attemptInputOf(error)).toEqual(input);
    expect(classifyAttempt(attemptInputOf(error)).outcome).toBe(outcome);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120],
    ['Sun, 01 Mar 2026 12:00:10 GMT', 10],
    ['Sunday, 01-Mar-26 12:00:10 GMT', 10], // obsolete RFC 850 form
    ['2026-03-01', null],
    ['', null],
  ])('%j ⇒ %s', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('PinterestClient options', () => {
  it.each([0, -1, Number.NaN])('refuses timeoutMs %s', (timeoutMs) => {
    expect(() => new PinterestClient({ baseUrl: 'https://api.pinterest.com', clientId: 'a', clientSecret: 'b', timeoutMs })).toThrow(RangeError);
  });
});
