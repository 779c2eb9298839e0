import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { RefreshedTokens } from '../../../lambdas/adapters/pinterest-client.ts';
import { REFRESH_AHEAD_MS, SecretsTokenProvider } from '../../../lambdas/adapters/secrets-token-provider.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import { TokenRefreshError, type AccountTokens } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, httpError, T0, TENANT, transportError } from '../builders.ts';
import { ScriptedPinterest } from '../fakes.ts';

const NOW = Date.parse(T0);
const at = (ms: number) => new Date(NOW + ms).toISOString();
const PREFIX = 'pinrelay/prod/accounts';
const SECRET = `${PREFIX}/${TENANT}/${ACCOUNT}`;
const STORED: AccountTokens = {
  access_token: 'pina_old',
  refresh_token: 'pinr_old',
  expires_at: at(30 * 24 * 3600_000),
  refresh_token_expires_at: at(60 * 24 * 3600_000),
};
const REFRESHED: RefreshedTokens = {
  accessToken: 'pina_new',
  refreshToken: 'pinr_new',
  expiresAt: at(30 * 24 * 3600_000),
  refreshTokenExpiresAt: at(60 * 24 * 3600_000 + 1000),
};

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(client);
let clock: ReturnType<typeof fixedClock>;
let pinterest: ScriptedPinterest;
let provider: SecretsTokenProvider;

function stores(tokens: Partial<AccountTokens>) {
  sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: JSON.stringify({ ...STORED, ...tokens }) });
}
const written = () => sm.commandCalls(PutSecretValueCommand).map((c) => ({ ...c.args[0].input, SecretString: JSON.parse(c.args[0].input.SecretString!) }));
async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  sm.reset();
  sm.on(PutSecretValueCommand).resolves({});
  clock = fixedClock(T0);
  pinterest = new ScriptedPinterest();
  provider = new SecretsTokenProvider(client, PREFIX, pinterest, clock, 60_000);
});
afterAll(() => sm.restore());

describe('SecretsTokenProvider: reading', () => {
  it('reads <prefix>/<tenant>/<account> once per cache TTL', async () => {
    stores({});

    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_old');
    clock.advance(59_999);
    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_old');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET });

    clock.advance(1);
    stores({ access_token: 'pina_rotated' });
    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_rotated');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('caches per account', async () => {
    stores({});
    sm.on(GetSecretValueCommand, { SecretId: `${PREFIX}/${TENANT}/other` }).resolves({ SecretString: JSON.stringify({ ...STORED, access_token: 'pina_other' }) });

    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_old');
    await expect(provider.accessToken(TENANT, 'other')).resolves.toBe('pina_other');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each([
    ['more than 10 minutes away', at(REFRESH_AHEAD_MS)],
    ['unknown', null],
  ])('uses the stored token without refreshing when its expiry is %s', async (_what, expiresAt) => {
    stores({ expires_at: expiresAt });

    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_old');
    expect(pinterest.calls).toEqual([]);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });
});

describe('SecretsTokenProvider: refreshing', () => {
  it.each([
    ['the access token expires within 10 minutes', { expires_at: at(REFRESH_AHEAD_MS - 1) }, {}],
    ['the access token has expired', { expires_at: at(-1) }, {}],
    ['a refresh is forced (after a 401)', {}, { forceRefresh: true }],
  ])('refreshes when %s, storing BOTH new tokens before answering', async (_what, tokens, options) => {
    stores(tokens);
    pinterest.refreshes.push(REFRESHED);

    await expect(provider.accessToken(TENANT, ACCOUNT, options)).resolves.toBe('pina_new');

    expect(pinterest.calls).toEqual([{ op: 'refreshAccessToken', token: 'pinr_old' }]);
    expect(written()).toEqual([
      {
        SecretId: SECRET,
        SecretString: { access_token: 'pina_new', refresh_token: 'pinr_new', expires_at: REFRESHED.expiresAt, refresh_token_expires_at: REFRESHED.refreshTokenExpiresAt },
      },
    ]);
  });

  it('answers the new token from the cache afterwards, without reading the old secret again', async () => {
    stores({});
    pinterest.refreshes.push(REFRESHED);

    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_new');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('keeps the stored refresh-token expiry when Pinterest sends none', async () => {
    stores({});
    pinterest.refreshes.push({ ...REFRESHED, refreshTokenExpiresAt: null });

    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    expect(written()[0]!.SecretString.refresh_token_expires_at).toBe(STORED.refresh_token_expires_at);
  });

  it('never hands out the new token when storing it fails (the old refresh token is already retired)', async () => {
    stores({});
    sm.on(PutSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
    pinterest.refreshes.push(REFRESHED);

    await expect(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true })).rejects.toThrow('Secrets Manager unavailable');
  });
});

describe('SecretsTokenProvider: refresh failures', () => {
  it.each([
    ['no refresh token is stored', { refresh_token: null }, 'no refresh token'],
    ['the refresh token has expired', { refresh_token_expires_at: at(-1) }, 'expired'],
    ['the refresh token expires right now', { refresh_token_expires_at: at(0) }, 'expired'],
  ])('TokenRefreshError(null) without calling Pinterest when %s', async (_what, tokens, message) => {
    stores(tokens);

    const error = await caught(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ status: null, message: expect.stringContaining(message) });
    expect(pinterest.calls).toEqual([]);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it.each([400, 401, 403])('TokenRefreshError(%i) when Pinterest refuses the refresh token', async (status) => {
    stores({});
    pinterest.refreshes.push(httpError(status, { operation: 'refresh_token' }));

    const error = await caught(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect((error as TokenRefreshError).status).toBe(status);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it.each([
    ['429', httpError(429, { operation: 'refresh_token', retryAfterSeconds: 5 })],
    ['500', httpError(500, { operation: 'refresh_token' })],
    ['503', httpError(503, { operation: 'refresh_token' })],
    ['a transport failure', transportError('after_send', 'refresh_token')],
  ])('rethrows %s as it is: transient, the stored tokens stay valid', async (_what, failure) => {
    stores({});
    pinterest.refreshes.push(failure);

    await expect(caught(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBe(failure);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  // Refreshing ahead of expiry is optional: a still-valid token that cannot be refreshed is used as it is.
  it('uses an access token that is about to expire when it cannot be refreshed', async () => {
    stores({ expires_at: at(5 * 60_000), refresh_token: null });

    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toBe('pina_old');
  });
});
