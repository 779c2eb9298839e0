import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { PinterestResponseError } from '../../../lambdas/adapters/pinterest/errors.ts';
import {
  REFRESH_AHEAD_MS,
  ROTATION_NOT_STORED_METRIC,
  SecretsTokenProvider,
  type SecretsTokenProviderOptions,
} from '../../../lambdas/adapters/secrets-token-provider.ts';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import {
  AppCredentialsMissingError,
  TokenRefreshError,
  type AccountTokens,
  type RefreshedTokens,
} from '../../../lambdas/use-cases/ports.ts';
import { ACCOUNT, httpError, T0, TENANT, transportError } from '../builders.ts';
import { ScriptedPinterest } from '../fakes.ts';

const NOW = Date.parse(T0);
const at = (ms: number) => new Date(NOW + ms).toISOString();
const PREFIX = 'pinrelay/prod/accounts';
const SECRET = `${PREFIX}/${TENANT}/${ACCOUNT}`;
const CONNECTION = 'con_0123456789abcdefghjk';
const RECONNECTED = 'con_zyxwvtsrqpnmkjhgfedc';
const STORED: AccountTokens = {
  access_token: 'pina_old',
  refresh_token: 'pinr_old',
  expires_at: at(30 * 24 * 3600_000),
  refresh_token_expires_at: at(60 * 24 * 3600_000),
  connection_id: CONNECTION,
};
const REFRESHED: RefreshedTokens = {
  accessToken: 'pina_new',
  refreshToken: 'pinr_new',
  expiresAt: at(30 * 24 * 3600_000),
  refreshTokenExpiresAt: at(60 * 24 * 3600_000 + 1000),
};
/** The secret after a successful refresh of STORED with REFRESHED. */
const ROTATED: AccountTokens = {
  access_token: 'pina_new',
  refresh_token: 'pinr_new',
  expires_at: REFRESHED.expiresAt,
  refresh_token_expires_at: REFRESHED.refreshTokenExpiresAt,
  connection_id: CONNECTION,
};
/** What ops stored with PUT /v1/accounts after the old tokens died. */
const RECONNECT: AccountTokens = {
  ...STORED,
  access_token: 'pina_reconnected',
  refresh_token: 'pinr_reconnected',
  connection_id: RECONNECTED,
};

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(client);
let clock: ReturnType<typeof fixedClock>;
let pinterest: ScriptedPinterest;
let provider: SecretsTokenProvider;
let sleeps: number[];
let logged: { level: string; message: string; attributes: unknown }[];
let metrics: { name: string; value: number; reason?: string }[];
let configured: boolean;

function build(options: SecretsTokenProviderOptions = {}) {
  return new SecretsTokenProvider(client, PREFIX, pinterest, clock, {
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
    ...options,
  });
}

/** The secret as it is now: puts change it, like Secrets Manager would. */
function stores(tokens: Partial<AccountTokens>) {
  sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: JSON.stringify({ ...STORED, ...tokens }) });
}
function putsStore() {
  sm.on(PutSecretValueCommand).callsFake((input: { SecretString: string }) => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: input.SecretString });
    return {};
  });
}
const written = () =>
  sm.commandCalls(PutSecretValueCommand).map((c) => ({ ...c.args[0].input, SecretString: JSON.parse(c.args[0].input.SecretString!) }));
const token = (promise: Promise<{ token: string }>) => promise.then((a) => a.token);
async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  sm.reset();
  putsStore();
  clock = fixedClock(T0);
  pinterest = new ScriptedPinterest();
  sleeps = [];
  logged = [];
  metrics = [];
  configured = true;
  provider = build();
});
afterAll(() => sm.restore());

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

describe('SecretsTokenProvider: placeholder app credentials', () => {
  beforeEach(() => {
    configured = false;
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
