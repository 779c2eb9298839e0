import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { REFRESH_AHEAD_MS } from '../../../lambdas/adapters/secrets-token-provider.ts';
import { TokenRefreshError } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, TENANT, httpError } from '../builders.ts';
import {
  at,
  caught,
  clock,
  CONNECTION,
  pinterest,
  PREFIX,
  provider,
  RECONNECT,
  RECONNECTED,
  REFRESHED,
  SECRET,
  sm,
  STORED,
  stores,
  token,
  useTokenProvider,
} from './secrets-token-provider-support.ts';

/** SecretsTokenProvider reading the vault: the cache, and a reconnect (PUT) while tokens are cached. */

useTokenProvider();

describe('SecretsTokenProvider: reading', () => {
  it('reads <prefix>/<tenant>/<account> once per cache TTL, with the connection the tokens belong to', async () => {
    stores({});

    await expect(provider.accessToken(TENANT, ACCOUNT)).resolves.toEqual({ token: 'pina_old', connectionId: CONNECTION });
    clock.advance(59_999);
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_old');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET });

    clock.advance(1);
    stores({ access_token: 'pina_rotated' });
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_rotated');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('caches per account', async () => {
    stores({});
    sm.on(GetSecretValueCommand, { SecretId: `${PREFIX}/${TENANT}/other` }).resolves({
      SecretString: JSON.stringify({ ...STORED, access_token: 'pina_other' }),
    });

    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_old');
    await expect(token(provider.accessToken(TENANT, 'other'))).resolves.toBe('pina_other');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it.each([
    ['more than 10 minutes away', at(REFRESH_AHEAD_MS)],
    ['unknown', null],
  ])('uses the stored token without refreshing when its expiry is %s', async (_what, expiresAt) => {
    stores({ expires_at: expiresAt });

    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_old');
    expect(pinterest.calls).toEqual([]);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it('answers connection null for a secret stored before connections had ids', async () => {
    const { connection_id: _none, ...legacy } = STORED;
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(legacy) });

    await expect(provider.accessToken(TENANT, ACCOUNT, { connectionId: null })).resolves.toEqual({ token: 'pina_old', connectionId: null });
    await provider.accessToken(TENANT, ACCOUNT, { connectionId: null });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });
});

describe('SecretsTokenProvider: a reconnect (PUT) while tokens are cached', () => {
  it('reads the vault again, inside the TTL, when the account names another connection than the cached one', async () => {
    // Prepare: this container cached the old connection's tokens.
    stores({});
    await provider.accessToken(TENANT, ACCOUNT, { connectionId: CONNECTION });
    stores(RECONNECT);

    // Act: the account record now names the new connection.
    const answer = await provider.accessToken(TENANT, ACCOUNT, { connectionId: RECONNECTED });

    // Assess
    expect(answer).toEqual({ token: 'pina_reconnected', connectionId: RECONNECTED });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(pinterest.calls).toEqual([]);
  });

  it('keeps using the cache while the account names the cached connection', async () => {
    stores({});
    await provider.accessToken(TENANT, ACCOUNT, { connectionId: CONNECTION });
    stores(RECONNECT);

    await expect(token(provider.accessToken(TENANT, ACCOUNT, { connectionId: CONNECTION }))).resolves.toBe('pina_old');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('after a 401, uses a different access token found in the vault instead of refreshing with the cached refresh token', async () => {
    // Prepare: cached old tokens (both dead at Pinterest by now); ops reconnected meanwhile.
    stores({});
    await provider.accessToken(TENANT, ACCOUNT);
    stores(RECONNECT);

    // Act: the cached access token was refused.
    const answer = await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });

    // Assess: the dead refresh token was never presented.
    expect(answer).toEqual({ token: 'pina_reconnected', connectionId: RECONNECTED });
    expect(pinterest.calls).toEqual([]);
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it('after a 401, refreshes with the refresh token the vault holds when the vault has the refused access token too', async () => {
    stores({});
    await provider.accessToken(TENANT, ACCOUNT);
    stores({ refresh_token: 'pinr_vault' });
    pinterest.refreshes.push(REFRESHED);

    await expect(token(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBe('pina_new');
    expect(pinterest.calls).toEqual([{ op: 'refreshAccessToken', token: 'pinr_vault' }]);
  });

  it('names the connection whose refresh token was refused', async () => {
    stores({});
    pinterest.refreshes.push(httpError(400, { operation: 'refresh_token' }));

    const error = await caught(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }));

    expect(error).toBeInstanceOf(TokenRefreshError);
    expect(error).toMatchObject({ status: 400, connectionId: CONNECTION });
  });
});
