import type { Account, ConnectionStatus } from '../../domain/account.ts';

/** Tenants, their API keys and their connected accounts (the tenants table). */

export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly createdAt: string;
  /**
   * The tenant's usage-plan key in API Gateway (per-tenant throttling): its value, which the authorizer returns
   * as `usageIdentifierKey`, and API Gateway's id for it. Absent in local mode (whose API throttles per tenant
   * id) and for tenants created before usage plans (`npm run admin -- usage-keys` gives them one).
   */
  readonly usageKey?: UsageKey;
}

/** An API Gateway API key of one tenant, attached to the stage's usage plan. Never a caller's bearer key. */
export interface UsageKey {
  /** A random secret (API Gateway's key value); a caller never sees it and cannot send it. */
  readonly value: string;
  /** API Gateway's id of the key. */
  readonly id: string;
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

/** An API key as an operator sees it: never the key, never its hash. */
export interface ApiKeySummary {
  readonly keyId: string;
  readonly tenantId: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** What an operator may do with tenants' API keys (the admin CLI; no API handler has it). */
export interface ApiKeyAdmin {
  /** The tenant's keys, oldest first. */
  listApiKeys(tenantId: string): Promise<ApiKeySummary[]>;
  findApiKey(keyId: string): Promise<ApiKeySummary | null>;
  /**
   * Revokes the key: the authorizer refuses it from then on (callers holding a cached answer keep it until that
   * expires). Conditional: an unknown key is null, a revoked one is left as it was (`changed: false`).
   */
  revokeApiKey(keyId: string, at: string): Promise<{ readonly key: ApiKeySummary; readonly changed: boolean } | null>;
  /** Records a usage-plan key on a tenant that has none; false when the tenant is gone or already has one. */
  setUsageKey(tenantId: string, usageKey: UsageKey): Promise<boolean>;
}

/** The stage's usage plan in API Gateway: where each tenant's usage key is created and attached. */
export interface UsagePlanKeys {
  /** Creates an API key with this value for the tenant and attaches it to the usage plan; answers its id. */
  attach(tenantId: string, value: string): Promise<UsageKey>;
  /** Deletes a key `attach` made (undoing a tenant that could not be stored). */
  remove(usageKey: UsageKey): Promise<void>;
}
