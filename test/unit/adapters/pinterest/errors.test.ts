import { describe, expect, it } from 'vitest';
import { attemptInputOf } from '../../../../lambdas/adapters/pinterest/attempt-input.ts';
import type { PinterestClient } from '../../../../lambdas/adapters/pinterest/client.ts';
import { PinterestHttpError, PinterestResponseError, type PinterestTransportError } from '../../../../lambdas/adapters/pinterest/errors.ts';
import { parseRetryAfter } from '../../../../lambdas/adapters/pinterest/retry-after.ts';
import { PinterestError } from '../../../../lambdas/use-cases/ports.ts';
import {
  ACCESS,
  BOARD,
  caught,
  CLIENT_SECRET,
  client,
  CREATED,
  everything,
  fetchFailed,
  json,
  netError,
  NOW,
  PIN,
  REFRESH,
  text,
  type Call,
} from './harness.ts';

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
    [
      'HTML from a proxy',
      text(502, '<html><body>502 Bad Gateway</body></html>'),
      null,
      '<html><body>502 Bad Gateway</body></html>',
      'HTTP 502: <html><body>502 Bad Gateway</body></html>',
    ],
    ['an empty body', text(503, ''), null, '', 'HTTP 503'],
    ['truncated JSON', text(500, '{"code": 1, "mess'), null, '{"code": 1, "mess', 'HTTP 500: {"code": 1, "mess'],
    [
      'a numeric-string code',
      json(404, { code: '2031', message: 'Section not found.' }),
      2031,
      { code: '2031', message: 'Section not found.' },
      'HTTP 404 (code 2031): Section not found.',
    ],
    ['a fractional code', json(400, { code: 1.5, message: 'x' }), null, { code: 1.5, message: 'x' }, 'HTTP 400: x'],
    ['a non-string message', json(400, { code: 1, message: 5 }), 1, { code: 1, message: 5 }, 'HTTP 400 (code 1): {"code":1,"message":5}'],
    ['a JSON array', json(400, [1, 2]), null, [1, 2], 'HTTP 400: [1,2]'],
    [
      'an OAuth-style error',
      json(400, { error: 'invalid_grant', error_description: 'Expired.' }),
      null,
      { error: 'invalid_grant', error_description: 'Expired.' },
      'HTTP 400: Expired.',
    ],
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
      operation === 'create'
        ? api.createPin(ACCESS, PIN)
        : operation === 'list'
          ? api.listBoardPins(ACCESS, BOARD)
          : api.refreshAccessToken(REFRESH),
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

describe('secrets never reach an error', () => {
  const echo = (status: number) => (call: Call) =>
    json(status, {
      code: 2,
      message: `bad token ${new Headers(call.init.headers).get('authorization')} in ${String(call.init.body)}`,
      access_token: 'pina_leak',
    });

  it.each([
    ['create: an error body that echoes the token', (api: PinterestClient) => api.createPin(ACCESS, PIN), echo(401), [ACCESS, 'pina_leak']],
    ['list: an error body that echoes the token', (api: PinterestClient) => api.listBoardPins(ACCESS, BOARD), echo(403), [ACCESS]],
    [
      'refresh: an error body that echoes the request',
      (api: PinterestClient) => api.refreshAccessToken(REFRESH),
      echo(400),
      [REFRESH, CLIENT_SECRET, Buffer.from(`1234567:${CLIENT_SECRET}`).toString('base64')],
    ],
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
