/**
 * Who a request speaks for: bearer-token authentication and POST /v5/oauth/token's continuous refresh,
 * on the sandbox clock.
 */
import { describe, expect, it } from 'vitest';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../../local/pinterest-sandbox.ts';
import { alice, clock, createPin, expectError, pinBody, refresh, sandbox, setClock, T0, useSharedSandbox } from './fixture.ts';

useSharedSandbox();

describe('authentication', () => {
  const endpoints = (token?: string) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    return [
      fetch(`${sandbox.url}/v5/pins`, { method: 'POST', headers, body: JSON.stringify(pinBody()) }),
      fetch(`${sandbox.url}/v5/boards/111/pins`, { headers }),
      fetch(`${sandbox.url}/v5/user_account`, { headers }),
    ];
  };

  it('answers 401 code 2 "Authentication failed." without a token, with an unknown one, and with Basic auth', async () => {
    for (const token of [undefined, 'pina_unknown']) {
      for (const res of endpoints(token)) await expectError(res, 401, 2, 'Authentication failed.');
    }
    const basic = await fetch(`${sandbox.url}/v5/user_account`, {
      headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    await expectError(basic, 401, 2);
    expect(sandbox.pins()).toEqual([]);
  });

  it('answers 401 for an expired access token (expireAccessToken, or its lifetime on the clock)', async () => {
    const carol = sandbox.addUser({ username: 'carol', boards: ['700'] });
    sandbox.expireAccessToken(carol.accessToken);
    for (const res of endpoints(carol.accessToken)) await expectError(res, 401, 2);

    const dave = sandbox.addUser({ username: 'dave', boards: ['701'], accessTokenExpiresAt: T0 + 1000 });
    expect((await fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Bearer ${dave.accessToken}` } })).status).toBe(200);
    setClock(T0 + 1000);
    await expectError(fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Bearer ${dave.accessToken}` } }), 401, 2);
  });

  it('tells the token’s user on GET /v5/user_account', async () => {
    const res = await fetch(`${sandbox.url}/v5/user_account`, { headers: { Authorization: `Bearer ${alice.accessToken}` } });
    expect(await res.json()).toMatchObject({
      username: 'alice',
      account_type: 'BUSINESS',
      board_count: 3,
      id: expect.stringMatching(/^\d+$/),
    });
  });
});

describe('POST /v5/oauth/token (continuous refresh)', () => {
  it('returns a new access and refresh token; the old refresh token dies at once, the new pair works', async () => {
    const erin = sandbox.addUser({ username: 'erin', boards: ['800'] });
    const res = await refresh(erin.refreshToken);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as Record<string, unknown>;
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^pina_/),
      refresh_token: expect.stringMatching(/^pinr_/),
      response_type: 'refresh_token',
      token_type: 'bearer',
      expires_in: 2_592_000,
      refresh_token_expires_in: 5_184_000,
      refresh_token_expires_at: Math.floor(T0 / 1000) + 5_184_000,
      scope: expect.stringContaining('pins:write'),
    });
    expect(tokens.refresh_token).not.toBe(erin.refreshToken);
    expect(tokens.access_token).not.toBe(erin.accessToken);

    await expectError(refresh(erin.refreshToken), 400, 283, 'The authorization grant is invalid');
    expect((await createPin(tokens.access_token as string, pinBody({ board_id: '800' }))).status).toBe(201);
    // Decision (docs/sandbox.md): the previous access token stays valid until it expires.
    expect((await createPin(erin.accessToken, pinBody({ board_id: '800' }))).status).toBe(201);

    const again = (await (await refresh(tokens.refresh_token as string)).json()) as { refresh_token: string };
    expect(again.refresh_token).toMatch(/^pinr_/);
    await expectError(refresh(tokens.refresh_token as string), 400, 283);
  });

  it('lets only one of two concurrent refreshes with the same token win', async () => {
    const frank = sandbox.addUser({ username: 'frank' });
    const statuses = (await Promise.all([refresh(frank.refreshToken), refresh(frank.refreshToken)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
  });

  it('issues access tokens that expire after 30 days on the sandbox clock', async () => {
    const gina = sandbox.addUser({ username: 'gina', boards: ['801'] });
    const { access_token } = (await (await refresh(gina.refreshToken)).json()) as { access_token: string };
    setClock(T0 + 30 * 24 * 3600 * 1000 - 1);
    expect((await createPin(access_token, pinBody({ board_id: '801' }))).status).toBe(201);
    setClock(clock + 1);
    await expectError(createPin(access_token, pinBody({ board_id: '801' })), 401, 2);
  });

  it('honours an optional scope', async () => {
    const hank = sandbox.addUser({ username: 'hank' });
    const tokens = (await (await refresh(hank.refreshToken, undefined, { scope: 'pins:read' })).json()) as { scope: string };
    expect(tokens.scope).toBe('pins:read');
  });

  it('answers 401 code 2 for missing or wrong client credentials, without spending the refresh token', async () => {
    const ida = sandbox.addUser({ username: 'ida' });
    await expectError(refresh(ida.refreshToken, `${SANDBOX_CLIENT_ID}:wrong`), 401, 2, 'Authentication failed.');
    await expectError(refresh(ida.refreshToken, `someone-else:${SANDBOX_CLIENT_SECRET}`), 401, 2);
    const noAuth = await fetch(`${sandbox.url}/v5/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${ida.refreshToken}`,
    });
    await expectError(noAuth, 401, 2);
    expect((await refresh(ida.refreshToken)).status).toBe(200);
  });

  it('answers 400 code 283 for revoked, expired and unknown refresh tokens', async () => {
    const jan = sandbox.addUser({ username: 'jan' });
    sandbox.revokeRefreshToken(jan.refreshToken);
    await expectError(refresh(jan.refreshToken), 400, 283);
    const kim = sandbox.addUser({ username: 'kim', refreshTokenExpiresAt: T0 + 5000 });
    setClock(T0 + 5000);
    await expectError(refresh(kim.refreshToken), 400, 283);
    await expectError(refresh('pinr_never_issued'), 400, 283);
  });

  it('answers 400 code 1 for a missing or unsupported grant_type', async () => {
    const lou = sandbox.addUser({ username: 'lou' });
    const post = (body: string) =>
      fetch(`${sandbox.url}/v5/oauth/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`${SANDBOX_CLIENT_ID}:${SANDBOX_CLIENT_SECRET}`).toString('base64')}` },
        body,
      });
    await expectError(post(`refresh_token=${lou.refreshToken}`), 400, 1);
    await expectError(post(`grant_type=authorization_code&code=abc`), 400, 1);
    await expectError(post('grant_type=refresh_token'), 400, 1);
  });
});
