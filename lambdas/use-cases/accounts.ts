import { ACCOUNT_ID_PATTERN, type Account, type ConnectAccountCommand } from '../domain/account.ts';
import { AccountNotFound } from '../domain/errors.ts';
import { newConnectionId } from '../domain/ids.ts';
import type { AccountRecord, Deps } from './ports.ts';

/** The public view: connection state and limits, never the tokens, where they live or the internal connection id. */
export function publicAccount(record: AccountRecord): Account {
  const { tenantId: _tenant, secretRef: _ref, connectionId: _connection, ...account } = record;
  return account;
}

/**
 * PUT semantics: the body replaces the connection (tokens and limits). Tokens are written to the vault
 * first, so an account record never points at tokens that were not stored.
 *
 * Each PUT is a new connection with its own id, stored in the secret and on the record: workers holding
 * an older connection's tokens in their cache read the vault again, and a dead-token verdict about an
 * older connection cannot mark this one (lambdas/adapters/secrets-token-provider.ts).
 */
export async function connectAccount(
  deps: Pick<Deps, 'tenants' | 'vault' | 'clock'>,
  tenantId: string,
  accountId: string,
  body: ConnectAccountCommand,
): Promise<Account> {
  const now = deps.clock.now().toISOString();
  const existing = await deps.tenants.getAccount(tenantId, accountId);
  const tokenExpiry = body.expires_at ? new Date(body.expires_at).toISOString() : null;
  const refreshExpiry = body.refresh_token_expires_at ? new Date(body.refresh_token_expires_at).toISOString() : null;
  const connectionId = newConnectionId();
  const secretRef = await deps.vault.save(tenantId, accountId, {
    access_token: body.access_token,
    refresh_token: body.refresh_token ?? null,
    expires_at: tokenExpiry,
    refresh_token_expires_at: refreshExpiry,
    connection_id: connectionId,
  });
  const record: AccountRecord = {
    tenantId,
    account_id: accountId,
    connection_status: 'connected',
    token_expires_at: tokenExpiry,
    refresh_token_expires_at: refreshExpiry,
    has_refresh_token: body.refresh_token !== undefined,
    rate_limit_per_minute: body.rate_limit_per_minute ?? null,
    created_at: existing?.created_at ?? now,
    updated_at: now,
    secretRef,
    connectionId,
  };
  await deps.tenants.putAccount(record);
  return publicAccount(record);
}

export async function getAccount(deps: Pick<Deps, 'tenants'>, tenantId: string, accountId: string): Promise<Account> {
  const record = ACCOUNT_ID_PATTERN.test(accountId) ? await deps.tenants.getAccount(tenantId, accountId) : null;
  if (!record) throw new AccountNotFound(accountId);
  return publicAccount(record);
}
