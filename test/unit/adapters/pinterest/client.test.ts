import { describe, expect, it } from 'vitest';
import { PinterestClient } from '../../../../lambdas/adapters/pinterest/client.ts';
import { BOARD, CLIENT_SECRET, client, CREATED, json, NOW, PIN, REFRESH, ACCESS } from './harness.ts';

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
    [
      'refresh_token_expires_at (epoch seconds)',
      { refresh_token: 'pinr_new', refresh_token_expires_at: 1_777_550_400 },
      'pinr_new',
      '2026-04-30T12:00:00.000Z',
    ],
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

describe('PinterestClient options', () => {
  it.each([0, -1, Number.NaN])('refuses timeoutMs %s', (timeoutMs) => {
    expect(() => new PinterestClient({ baseUrl: 'https://api.pinterest.com', clientId: 'a', clientSecret: 'b', timeoutMs })).toThrow(
      RangeError,
    );
  });
});
