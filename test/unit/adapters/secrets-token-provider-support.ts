import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { SecretsTokenProvider } from '../../../lambdas/adapters/secrets-token-provider.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import type { AccountTokens, RefreshedTokens } from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, T0, TENANT } from '../builders.ts';
import { ScriptedPinterest } from '../fakes.ts';

/**
 * What the SecretsTokenProvider tests share (reading, refreshing, rotation): the stored and refreshed token
 * pairs, and a provider over a mocked Secrets Manager and a scripted Pinterest.
 *
 * `sm`, `clock`, `pinterest`, `provider`, `sleeps`, `logged` and `metrics` are live bindings:
 * `useTokenProvider()` (called once at the top of a test file) sets them afresh before each test.
 */

export const NOW = Date.parse(T0);
export const at = (ms: number) => new Date(NOW + ms).toISOString();
export const PREFIX = 'pinrelay/prod/accounts';
export const SECRET = `${PREFIX}/${TENANT}/${ACCOUNT}`;
export const CONNECTION = 'con_0123456789abcdefghjk';
export const RECONNECTED = 'con_zyxwvtsrqpnmkjhgfedc';
export const STORED: AccountTokens = {
  access_token: 'pina_old',
  refresh_token: 'pinr_old',
  expires_at: at(30 * 24 * 3600_000),
  refresh_token_expires_at: at(60 * 24 * 3600_000),
  connection_id: CONNECTION,
};
export const REFRESHED: RefreshedTokens = {
  accessToken: 'pina_new',
  refreshToken: 'pinr_new',
  expiresAt: at(30 * 24 * 3600_000),
  refreshTokenExpiresAt: at(60 * 24 * 3600_000 + 1000),
};
/** The secret after a successful refresh of STORED with REFRESHED. */
export const ROTATED: AccountTokens = {
  access_token: 'pina_new',
  refresh_token: 'pinr_new',
  expires_at: REFRESHED.expiresAt,
  refresh_token_expires_at: REFRESHED.refreshTokenExpiresAt,
  connection_id: CONNECTION,
};
/** What ops stored with PUT /v1/accounts after the old tokens died. */
export const RECONNECT: AccountTokens = {
  ...STORED,
  access_token: 'pina_reconnected',
  refresh_token: 'pinr_reconnected',
  connection_id: RECONNECTED,
};

export let sm: AwsClientStub<SecretsManagerClient>;
export let clock: ReturnType<typeof fixedClock>;
export let pinterest: ScriptedPinterest;
export let provider: SecretsTokenProvider;
export let sleeps: number[];
export let logged: { level: string; message: string; attributes: unknown }[];
export let metrics: { name: string; value: number; reason?: string }[];
let configured: boolean;

/** Whether the Pinterest app credentials are stored (false: the deployment still has the placeholder). */
export const setAppCredentialsConfigured = (value: boolean): void => {
  configured = value;
};

/** Mocks this file's Secrets Manager client and builds a fresh provider (STORED in the vault) before each test. */
export function useTokenProvider(): void {
  const client = new SecretsManagerClient({ region: 'eu-west-1' });
  beforeAll(() => {
    sm = mockClient(client);
  });
  beforeEach(() => {
    sm.reset();
    putsStore();
    clock = fixedClock(T0);
    pinterest = new ScriptedPinterest();
    sleeps = [];
    logged = [];
    metrics = [];
    configured = true;
    provider = new SecretsTokenProvider(client, PREFIX, pinterest, clock, {
      cacheTtlMs: 60_000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      logger: {
        warn: (message: string, attributes?: unknown) => logged.push({ level: 'warn', message, attributes }),
        error: (message: string, attributes?: unknown) => logged.push({ level: 'error', message, attributes }),
      } as never,
      count: (name, reason) => metrics.push({ name, value: 1, ...(reason ? { reason } : {}) }),
      appCredentialsConfigured: async () => configured,
    });
  });
  afterAll(() => sm.restore());
}

/** The secret as it is now: puts change it, like Secrets Manager would. */
export function stores(tokens: Partial<AccountTokens>) {
  sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: JSON.stringify({ ...STORED, ...tokens }) });
}
export function putsStore() {
  sm.on(PutSecretValueCommand).callsFake((input: { SecretString: string }) => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: input.SecretString });
    return {};
  });
}
export const written = () =>
  sm.commandCalls(PutSecretValueCommand).map((c) => ({ ...c.args[0].input, SecretString: JSON.parse(c.args[0].input.SecretString!) }));
export const token = (promise: Promise<{ token: string }>) => promise.then((a) => a.token);
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}
