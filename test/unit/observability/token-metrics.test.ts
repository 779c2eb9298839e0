import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, T0, TENANT } from '../builders.ts';
import { captureOutput, freshPowertools, metricSum, type Captured } from './powertools-output.ts';

/** The token provider's metrics as the worker publishes them: refreshes, refresh failures by reason, rotations not stored. */

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(client);
const soon = () => new Date(Date.parse(T0) + 60_000).toISOString();
const STORED = {
  access_token: 'pina_old',
  refresh_token: 'pinr_old',
  expires_at: null,
  refresh_token_expires_at: null,
  connection_id: null,
};
const REFRESHED = { accessToken: 'pina_new', refreshToken: 'pinr_new', expiresAt: '2026-04-01T00:00:00.000Z', refreshTokenExpiresAt: null };

let provider: typeof import('../../../lambdas/adapters/secrets-token-provider.ts');
let b: typeof import('../builders.ts');
let f: typeof import('../fakes.ts');
let out: Captured;

beforeAll(async () => {
  freshPowertools();
  provider = await import('../../../lambdas/adapters/secrets-token-provider.ts');
  b = await import('../builders.ts');
  f = await import('../fakes.ts');
});
afterAll(() => {
  sm.restore();
  vi.unstubAllEnvs();
  vi.resetModules();
});
beforeEach(() => {
  sm.reset();
  out = captureOutput();
});
afterEach(() => out.restore());

/** A provider over `stored`, Pinterest answering refreshes with `answers`; the metrics flushed as the handler would. */
async function run(stored: object, answers: unknown[], options: { forceRefresh?: boolean; appCredentials?: boolean } = {}) {
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...STORED, ...stored }) });
  const pinterest = new f.ScriptedPinterest();
  pinterest.refreshes.push(...(answers as never[]));
  const tokens = new provider.SecretsTokenProvider(client, 'pinrelay/test/accounts', pinterest, f.fakeDeps(T0).clock, {
    sleep: async () => undefined,
    appCredentialsConfigured: async () => options.appCredentials ?? true,
  });
  await tokens.accessToken(TENANT, ACCOUNT, { forceRefresh: options.forceRefresh ?? false }).catch(() => undefined);
  (await import('../../../lambdas/common/powertools.ts')).metrics.publishStoredMetrics();
}

describe('token metrics', () => {
  it('a refresh stored: TokenRefreshes', async () => {
    sm.on(PutSecretValueCommand).resolves({});
    await run({ expires_at: soon() }, [REFRESHED]);
    expect(metricSum(out.lines, 'TokenRefreshes')).toBe(1);
    expect(metricSum(out.lines, 'TokenRefreshFailures')).toBe(0);
    expect(metricSum(out.lines, 'TokenRotationNotStored')).toBe(0);
  });

  it('a refresh Secrets Manager would not store: TokenRefreshes and TokenRotationNotStored', async () => {
    sm.on(PutSecretValueCommand).rejects(new Error('unavailable'));
    await run({ expires_at: soon() }, [REFRESHED]);
    expect(metricSum(out.lines, 'TokenRefreshes')).toBe(1);
    expect(metricSum(out.lines, 'TokenRotationNotStored')).toBe(1);
  });

  it.each([
    ['refused', {}, () => [b.httpError(400, { operation: 'refresh_token' })], {}],
    ['transient', { expires_at: soon() }, () => [b.httpError(503, { operation: 'refresh_token' })], {}],
    ['no_refresh_token', { refresh_token: null }, () => [], {}],
    ['refresh_token_expired', { refresh_token_expires_at: '2026-01-01T00:00:00.000Z' }, () => [], {}],
    ['app_credentials_missing', {}, () => [], { appCredentials: false }],
  ] as const)('a refresh that did not happen: TokenRefreshFailures{reason=%s} and its total', async (reason, stored, answers, options) => {
    await run(stored, answers(), { forceRefresh: true, ...options });
    expect(metricSum(out.lines, 'TokenRefreshFailures', { reason })).toBe(1);
    expect(metricSum(out.lines, 'TokenRefreshFailures')).toBe(1);
    expect(metricSum(out.lines, 'TokenRefreshes')).toBe(0);
  });
});
