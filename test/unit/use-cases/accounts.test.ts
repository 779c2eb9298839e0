import { beforeEach, describe, expect, it } from 'vitest';
import { CONNECTION_ID_PATTERN } from '../../../lambdas/domain/ids.ts';
import { AccountNotFound } from '../../../lambdas/domain/errors.ts';
import { connectAccount, getAccount } from '../../../lambdas/use-cases/accounts.ts';
import { ACCOUNT, OTHER_TENANT, T0, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

const SECRET_WORDS = /pina_access|pinr_refresh/;
let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(T0);
});

describe('connectAccount', () => {
  it('stores the tokens in the vault before the account points at them', async () => {
    // Act
    const account = await connectAccount(deps, TENANT, ACCOUNT, {
      access_token: 'pina_access',
      refresh_token: 'pinr_refresh',
      expires_at: '2026-03-31T14:00:00+02:00',
      refresh_token_expires_at: '2026-04-30T12:00:00Z',
      rate_limit_per_minute: 60,
    });

    // Assess
    expect(deps.log.filter((l) => /vault|putAccount/.test(l))).toEqual([`vault.save ${ACCOUNT}`, `tenants.putAccount ${ACCOUNT}`]);
    expect(deps.vault.saves).toEqual([
      {
        tenantId: TENANT,
        accountId: ACCOUNT,
        tokens: {
          access_token: 'pina_access',
          refresh_token: 'pinr_refresh',
          expires_at: '2026-03-31T12:00:00.000Z',
          refresh_token_expires_at: '2026-04-30T12:00:00.000Z',
          connection_id: expect.stringMatching(CONNECTION_ID_PATTERN),
        },
      },
    ]);
    expect(account).toEqual({
      account_id: ACCOUNT,
      connection_status: 'connected',
      token_expires_at: '2026-03-31T12:00:00.000Z',
      refresh_token_expires_at: '2026-04-30T12:00:00.000Z',
      has_refresh_token: true,
      rate_limit_per_minute: 60,
      created_at: T0,
      updated_at: T0,
    });
    const stored = deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!;
    expect(stored.secretRef).toMatch(/^arn:aws:secretsmanager:/);
    expect(JSON.stringify(stored)).not.toMatch(SECRET_WORDS);
    expect(JSON.stringify(account)).not.toMatch(SECRET_WORDS);
    expect(account).not.toHaveProperty('secretRef');
    expect(account).not.toHaveProperty('tenantId');
    expect(account).not.toHaveProperty('connectionId');
  });

  it('names each connection: the same new id in the secret and on the record, a different one per PUT', async () => {
    await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access', refresh_token: 'pinr_refresh' });
    const first = deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!.connectionId;

    await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access', refresh_token: 'pinr_refresh' });
    const second = deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!.connectionId;

    expect(first).toMatch(CONNECTION_ID_PATTERN);
    expect(second).toMatch(CONNECTION_ID_PATTERN);
    expect(second).not.toBe(first);
    expect(deps.vault.saves.map((s) => s.tokens.connection_id)).toEqual([first, second]);
  });

  it('a reconnect brings an account marked for reauthorization back, and the old connection can no longer mark it', async () => {
    await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access', refresh_token: 'pinr_refresh' });
    const old = deps.tenants.accounts.get(`${TENANT}/${ACCOUNT}`)!.connectionId;
    await deps.tenants.markReauthorizationRequired(TENANT, ACCOUNT, T0, old);

    const account = await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_fresh', refresh_token: 'pinr_fresh' });

    expect(account.connection_status).toBe('connected');
    await expect(deps.tenants.markReauthorizationRequired(TENANT, ACCOUNT, T0, old)).resolves.toBe(false);
    expect((await getAccount(deps, TENANT, ACCOUNT)).connection_status).toBe('connected');
  });

  it('defaults the optional fields and reports no refresh token', async () => {
    const account = await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access' });

    expect(account).toMatchObject({
      has_refresh_token: false,
      token_expires_at: null,
      refresh_token_expires_at: null,
      rate_limit_per_minute: null,
    });
    expect(deps.vault.saves[0]!.tokens).toEqual({
      access_token: 'pina_access',
      refresh_token: null,
      expires_at: null,
      refresh_token_expires_at: null,
      connection_id: expect.stringMatching(CONNECTION_ID_PATTERN),
    });
  });

  it('replaces a connection but keeps its created_at', async () => {
    await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access', refresh_token: 'pinr_refresh' });
    deps.clock.advance(3_600_000);

    const account = await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_new' });

    expect(account).toMatchObject({ created_at: T0, updated_at: '2026-03-01T13:00:00.000Z', has_refresh_token: false });
    expect(deps.vault.saves).toHaveLength(2);
  });

  it('does not store the account when the vault fails', async () => {
    deps.vault.save = async () => {
      throw new Error('AccessDenied');
    };

    await expect(connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access' })).rejects.toThrow('AccessDenied');
    expect(deps.tenants.accounts.size).toBe(0);
  });
});

describe('getAccount', () => {
  it('returns the public view of the tenant’s account', async () => {
    const connected = await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access' });

    await expect(getAccount(deps, TENANT, ACCOUNT)).resolves.toEqual(connected);
  });

  it.each([
    ['another tenant', OTHER_TENANT, ACCOUNT],
    ['an unknown account', TENANT, 'other-account'],
    ['a malformed account id', TENANT, '../x'],
  ])('answers AccountNotFound for %s', async (_what, tenant, account) => {
    await connectAccount(deps, TENANT, ACCOUNT, { access_token: 'pina_access' });

    await expect(getAccount(deps, tenant, account)).rejects.toBeInstanceOf(AccountNotFound);
  });
});
