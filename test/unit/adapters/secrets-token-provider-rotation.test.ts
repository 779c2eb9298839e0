import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { REFRESH_AHEAD_MS, ROTATION_NOT_STORED_METRIC } from '../../../lambdas/adapters/secrets-token-provider.ts';
import { ACCOUNT, TENANT } from '../builders.ts';
import {
  at,
  clock,
  CONNECTION,
  logged,
  metrics,
  pinterest,
  provider,
  putsStore,
  RECONNECT,
  RECONNECTED,
  REFRESHED,
  ROTATED,
  SECRET,
  sleeps,
  sm,
  stores,
  token,
  useTokenProvider,
  written,
} from './secrets-token-provider-support.ts';

/** SecretsTokenProvider storing a rotated token pair: retried, kept when unsaved, never stored twice or over a reconnect. */

useTokenProvider();

describe('SecretsTokenProvider: storing a rotated pair is durable', () => {
  it('retries PutSecretValue with backoff and succeeds', async () => {
    stores({});
    sm.on(PutSecretValueCommand).rejectsOnce(new Error('Throttling')).rejectsOnce(new Error('Throttling')).resolves({});
    pinterest.refreshes.push(REFRESHED);

    await expect(token(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBe('pina_new');

    expect(sleeps).toEqual([200, 400]);
    expect(written().map((w) => w.SecretString)).toEqual([ROTATED, ROTATED, ROTATED]);
    expect(metrics).toEqual([{ name: 'TokenRefreshes', value: 1 }]);
  });

  it.each([
    ['after a 401', {}, { forceRefresh: true }],
    ['ahead of expiry', { expires_at: at(REFRESH_AHEAD_MS - 1) }, {}],
  ])(
    'when it cannot be stored (%s): uses the new token anyway, logs without token values and counts the metric',
    async (_what, tokens, options) => {
      stores(tokens);
      sm.on(PutSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
      pinterest.refreshes.push(REFRESHED);

      await expect(provider.accessToken(TENANT, ACCOUNT, options)).resolves.toEqual({ token: 'pina_new', connectionId: CONNECTION });

      expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 3);
      expect(sleeps).toEqual([200, 400]);
      expect(metrics).toEqual([
        { name: 'TokenRefreshes', value: 1 },
        { name: ROTATION_NOT_STORED_METRIC, value: 1 },
      ]);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        level: 'error',
        attributes: { secret_name: SECRET, error: expect.stringContaining('Secrets Manager unavailable') },
      });
      expect(JSON.stringify(logged)).not.toMatch(/pina_|pinr_/);
    },
  );

  it('keeps the unsaved pair: never presents the retired refresh token again, and stores the pair on a later call', async () => {
    // Prepare: the rotation could not be stored; the vault still holds the retired pair.
    stores({});
    sm.on(PutSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
    pinterest.refreshes.push(REFRESHED);
    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    clock.advance(120_000); // past the cache TTL: the vault is read again

    // Act 1: still failing to store; the pair from memory wins over the vault's retired copy.
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_new');
    // Act 2: a 401 forces a refresh, which must present the unsaved refresh token, not the vault's.
    pinterest.refreshes.push({ ...REFRESHED, accessToken: 'pina_newer', refreshToken: 'pinr_newer' });
    await expect(token(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBe('pina_newer');
    expect(pinterest.calls.map((c) => c.token)).toEqual(['pinr_old', 'pinr_new']);
    // Act 3: Secrets Manager is back: the next call stores the latest pair.
    putsStore();
    clock.advance(120_000);
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_newer');

    // Assess
    expect(written().at(-1)!.SecretString).toMatchObject({
      access_token: 'pina_newer',
      refresh_token: 'pinr_newer',
      connection_id: CONNECTION,
    });
    expect(pinterest.calls).toHaveLength(2);
  });

  it('does not write again when an earlier write landed although its answer was lost', async () => {
    stores({});
    sm.on(PutSecretValueCommand).callsFake(() => {
      stores(ROTATED); // the write took effect…
      throw new Error('socket hang up'); // …but the answer never came
    });
    pinterest.refreshes.push(REFRESHED);

    await expect(token(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true }))).resolves.toBe('pina_new');

    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    expect(metrics).toEqual([{ name: 'TokenRefreshes', value: 1 }]);
  });

  it('drops the unsaved pair when ops reconnected the account meanwhile', async () => {
    stores({});
    sm.on(PutSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
    pinterest.refreshes.push(REFRESHED);
    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    sm.on(PutSecretValueCommand).resolves({});
    stores(RECONNECT);

    await expect(provider.accessToken(TENANT, ACCOUNT, { connectionId: RECONNECTED })).resolves.toEqual({
      token: 'pina_reconnected',
      connectionId: RECONNECTED,
    });
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 3); // only the three failed tries of the rotation
  });

  it('answers the unsaved pair when the vault cannot be read at all', async () => {
    stores({});
    sm.on(PutSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
    pinterest.refreshes.push(REFRESHED);
    await provider.accessToken(TENANT, ACCOUNT, { forceRefresh: true });
    sm.on(GetSecretValueCommand).rejects(new Error('Secrets Manager unavailable'));
    clock.advance(120_000);

    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_new');
  });
});
