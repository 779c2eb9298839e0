import type { Account, ConnectionStatus } from '../../domain/account.ts';

/** Tenants, their API keys and their connected accounts (the tenants table). */

export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
}

export interface AccountRecord extends Account {
  readonly tenantId: string;
  /** Where the tokens live (a Secrets Manager ARN); never the tokens themselves. */
  readonly secretRef: string;
  /**
   * The PUT that stored the current tokens (also written into the secret): lets a worker tell a reconnect
   * from its own stale copy, and keeps it from marking a newer connection dead. Null for accounts stored
   * before connections had ids.
   */
  readonly connectionId: string | null;
}

export interface TenantStore {
  createTenant(tenant: TenantRecord, key: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void>;
  /** Adds another key to an existing tenant (key rotation; local mode's fixed key). */
  addApiKey(key: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void>;
  getTenant(tenantId: string): Promise<TenantRecord | null>;
  apiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  getAccount(tenantId: string, accountId: string): Promise<AccountRecord | null>;
  putAccount(account: AccountRecord): Promise<void>;
  /**
   * The worker found the refresh token of connection `connectionId` dead: the account needs a new
   * PUT /v1/accounts. Conditional: applies only while the account still holds that connection, so a
   * reconnect made meanwhile is never overwritten. False when it did not apply (a newer connection, or no
   * account).
   */
  markReauthorizationRequired(tenantId: string, accountId: string, at: string, connectionId: string | null): Promise<boolean>;
}

/** A connected account as a listing shows it. */
export interface AccountSummary {
  readonly accountId: string;
  readonly connectionStatus: ConnectionStatus;
  readonly rateLimitPerMinute: number | null;
}

/** Tenants and their accounts, listed: an operator's view (API handlers only ever see their own tenant). */
export interface TenantDirectory {
  /** Every tenant id, in id order. */
  listTenantIds(): Promise<string[]>;
  /** The tenant's accounts in account id order, at most `limit`, and whether there are more. */
  listAccounts(tenantId: string, limit: number): Promise<{ readonly accounts: readonly AccountSummary[]; readonly more: boolean }>;
}
