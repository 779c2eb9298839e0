import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { isTransientServiceError } from '../../../lambdas/adapters/secrets-token-provider.ts';
import { TokenStoreUnavailableError } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, httpError, TENANT } from '../builders.ts';
import {
  caught,
  clock,
  pinterest,
  provider,
  REFRESHED,
  SECRET,
  sm,
  stores,
  token,
  useTokenProvider,
} from './secrets-token-provider-support.ts';

/**
 * SecretsTokenProvider when Secrets Manager is unavailable (the fault-injection suite's finding): a read
 * that fails for a transient reason is a TokenStoreUnavailableError (the worker waits), anything else
 * stays what it is (a crash someone must look at), and a rotated pair it could not store is still used.
 */
useTokenProvider();

const awsError = (name: string, status: number | undefined, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: status === undefined ? {} : { httpStatusCode: status }, ...extra });

describe('SecretsTokenProvider: Secrets Manager unavailable', () => {
  it.each([
    ['a 5xx', awsError('InternalServiceError', 500)],
    ['a 503 by status only', awsError('UnknownError', 503)],
    ['throttling', awsError('ThrottlingException', 400)],
    ['a timeout', awsError('TimeoutError', undefined)],
    ['a dropped connection', awsError('Error', undefined, { code: 'ECONNRESET' })],
  ])('%s on GetSecretValue ⇒ TokenStoreUnavailableError naming it', async (_what, error) => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).rejects(error);

    const thrown = await caught(provider.accessToken(TENANT, ACCOUNT));

    expect(thrown).toBeInstanceOf(TokenStoreUnavailableError);
    expect((thrown as Error).message).toBe(`Secrets Manager could not be read: ${error.name}: ${error.message}`);
  });

  it.each([
    ['a missing secret', new ResourceNotFoundException({ message: 'no such secret', $metadata: { httpStatusCode: 400 } })],
    ['access denied', awsError('AccessDeniedException', 400)],
    ['KMS refusing to decrypt', awsError('DecryptionFailure', 400)],
  ])('%s stays as it is (a crash for engineering, not a wait)', async (_what, error) => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).rejects(error);

    expect(await caught(provider.accessToken(TENANT, ACCOUNT))).toBe(error);
    expect(isTransientServiceError(error)).toBe(false);
  });

  it('a rotated pair it could not store is used while the vault cannot even be read', async () => {
    stores({ expires_at: new Date(clock.now().getTime() + 60_000).toISOString() }); // expiring: refreshed ahead
    pinterest.refreshes.push(REFRESHED);
    sm.on(PutSecretValueCommand).rejects(awsError('InternalServiceError', 500));
    await expect(token(provider.accessToken(TENANT, ACCOUNT))).resolves.toBe('pina_new');

    sm.on(GetSecretValueCommand, { SecretId: SECRET }).rejects(awsError('ServiceUnavailable', 503));
    clock.advance(61_000); // past the cache

    await expect(token(provider.accessToken(TENANT, ACCOUNT, { forceRefresh: false }))).resolves.toBe('pina_new');
    expect(pinterest.refreshes).toEqual([]); // no second refresh: the unsaved pair is the live one
  });

  it('a Pinterest answer is never mistaken for the token store (a refresh 5xx stays a Pinterest error)', async () => {
    stores({ expires_at: new Date(clock.now().getTime() - 1).toISOString() }); // expired: must refresh
    pinterest.refreshes.push(httpError(503, { operation: 'refresh_token' }));

    expect(await caught(provider.accessToken(TENANT, ACCOUNT))).not.toBeInstanceOf(TokenStoreUnavailableError);
  });
});
