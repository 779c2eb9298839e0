import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { PinterestResponseError } from '../../../lambdas/adapters/pinterest/errors.ts';
import { REFRESH_AHEAD_MS } from '../../../lambdas/adapters/secrets-token-provider.ts';
import { AppCredentialsMissingError, TokenRefreshError } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, TENANT, httpError, transportError } from '../builders.ts';
import {
  at,
  caught,
  CONNECTION,
  logged,
  metrics,
  pinterest,
  provider,
  RECONNECT,
  RECONNECTED,
  REFRESHED,
  ROTATED,
  SECRET,
  setAppCredentialsConfigured,
  sm,
  STORED,
  stores,
  token,
  useTokenProvider,
  written,
} from './secrets-token-provider-support.ts';

/** SecretsTokenProvider refreshing tokens: the refresh itself, placeholder app credentials, and refresh failures. */

useTokenProvider();

describe('SecretsTokenProvider: refreshing', () => {
  it.each([
    ['the access token expires within 10 minutes', { expires_at: at(REFRESH_AHEAD_MS - 1) }, {}],
    ['the access token has expired', { expires_at: at(-1) }, {}],
    ['a refresh is forced (after a 401)', {}, { forceRefresh: true }],
  ])('refreshes when %s, storing BOTH new tokens (and the connection) before answering', async (_what, tokens, options) => {
    stores(tokens);
    pinterest.refreshes.push(REFRESHED);

    await expect(provider.accessToken(TENANT, ACCOUNT, options)).resolves.toEqual({ token: 'pina_new', connectionId: CONNECTION });

    expect(pinterest.calls).toEqual([{ op: 'refreshAccessToken', token: 'pinr_old' }]);
    expect(written()).toEqual([{ SecretId: SECRET, SecretString: ROTATED }]);
    expect(logged).toEqual([]);
    expect(metrics).toEqual([{ name: 'TokenRefreshes', value: 1 }]);
  });

  it('answers the new token from the cache afterwards', async () => {
    stores({});
    pinterest.refreshes.push(REFRESHED);

    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_new');
    // One read to answer, one to check the vault was not reconnected meanwhile before writing.
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('keeps the stored refresh-token expiry when Pinterest sends none', async () => {
    stores({});
    pinterest.refreshes.push({ ...REFRESHED, refreshTokenExpiresAt: null });

    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    expect(written()[0]!.SecretString.refresh_token_expires_at).toBe(STORED.refresh_token_expires_at);
  });

  it('does not overwrite a reconnect that landed while Pinterest was refreshing (the new access token is still used once)', async () => {
    stores({});
    pinterest.refreshes.push(() => {
      stores(RECONNECT);
      return REFRESHED;
    });

    await expect(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true })).resolves.toEqual({
      token: 'pina_new',
      connectionId: CONNECTION,
    });

    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
    await expect(provider.accessToken(TENANT, ACCOUNT, { connectionId: RECONNECTED })).resolves.toEqual({
      token: 'pina_reconnected',
      connectionId: RECONNECTED,
    });
  });
});

describe('SecretsTokenProvider: placeholder app credentials', () => {
  beforeEach(() => {
    setAppCredentialsConfigured(false);
  });

  it.each([
    ['a refresh is forced (after a 401)', {}, { forceRefresh: true }],
    ['the access token has expired', { expires_at: at(-1) }, {}],
  ])('AppCredentialsMissingError without calling Pinterest when %s', async (_what, tokens, options) => {
    stores(tokens);

    const error = await caught(provider.accessToken(TENANT, ACCOUNT, options));

    expect(error).toBeInstanceOf(AppCredentialsMissingError);
    expect(pinterest.calls).toEqual([]);
  });

  it('answers a token that needs no refresh', async () => {
    stores({});
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_old');
  });

  it('answers a token about to expire (refresh ahead is optional) and says why it was not refreshed', async () => {
    stores({ expires_at: at(5 * 60_000) });

    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_old');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'warn',
        attributes: expect.objectContaining({ error: expect.stringContaining('AppCredentialsMissingError') }),
      }),
    ]);
  });

  it('a missing refresh token is still the account’s problem', async () => {
    stores({ refresh_token: null });
    await expect(caught(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBeInstanceOf(TokenRefreshError);
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
    expect(error).toMatchObject({ status: null, message: expect.stringContaining(message), connectionId: CONNECTION });
    expect(pinterest.calls).toEqual([]);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  // The classifier decides (lambdas/domain/classify.ts refreshTokenRefused): any answer but a 429 or a 5xx.
  it.each([400, 401, 403, 302])('TokenRefreshError(%i) when Pinterest refuses the refresh token', async (status) => {
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
    [
      'a 2xx that is not a token response',
      new PinterestResponseError('refresh_token', 200, 'Pinterest token refresh answered HTTP 200 without a string access_token', null),
    ],
  ])('rethrows %s as it is: transient, the stored tokens stay valid', async (_what, failure) => {
    stores({});
    pinterest.refreshes.push(failure);

    await expect(caught(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBe(failure);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  // Refreshing ahead of expiry is optional: a still-valid token that cannot be refreshed is used as it is.
  it('uses an access token that is about to expire when it cannot be refreshed, and logs it', async () => {
    stores({ expires_at: at(5 * 60_000), refresh_token: null });

    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_old');
    expect(logged.map((l) => l.level)).toEqual(['warn']);
  });
});
