import type { Clock } from '../domain/clock.ts';
import type { JobRecord } from '../domain/job.ts';
import type { Account, Incident, JobStatus } from '../api/schemas.ts';

/**
 * Ports: what use cases need from the outside world. Adapters in lambdas/adapters implement them over
 * DynamoDB, SQS and Secrets Manager; tests pass in-memory fakes or the same adapters against emulators.
 */

export type CreateOutcome = { readonly created: true } | { readonly created: false; readonly existing: JobRecord };

export interface JobFilter {
  readonly status?: JobStatus;
  readonly accountId?: string;
}

export interface JobPage {
  readonly items: readonly JobRecord[];
  readonly nextCursor: string | null;
}

export interface JobStore {
  /** One conditional write keyed by (tenant, job id); on a clash returns the stored job instead. */
  create(record: JobRecord): Promise<CreateOutcome>;
  get(tenantId: string, jobId: string): Promise<JobRecord | null>;
  /** Newest first. A cursor from another tenant or filter is a validation error, never a leak. */
  list(tenantId: string, filter: JobFilter, page: { limit: number; cursor?: string }): Promise<JobPage>;
  /**
   * Writes `next` only if the stored version is still `expectedVersion`; false when someone else
   * changed the job first (the caller reloads and decides again). With `dueBefore`, also only if the
   * job's due time is still before it (the reconciler: a job whose due time moved is not stranded).
   */
  replace(next: JobRecord, expectedVersion: number, condition?: { readonly dueBefore: Date }): Promise<boolean>;
  /** The outbox confirms that version `version` of the job reached its queue. */
  markDispatched(tenantId: string, jobId: string, version: number): Promise<void>;
  /** Jobs whose dispatch was not confirmed since before `olderThan` (outbox sweeper). */
  listUndispatched(olderThan: Date, limit: number): Promise<readonly JobRecord[]>;
  /**
   * The job at `version` legitimately waits until `dueAt` (a pacing hold's reserved slot): its due time
   * (lambdas/domain/reconciliation.ts) becomes `dueAt`, so the reconciler leaves it alone until then plus
   * its grace. No version change. False when the job moved on or ended meanwhile (nothing to do).
   */
  extendDue(tenantId: string, jobId: string, version: number, dueAt: Date): Promise<boolean>;
  /**
   * Appends `incident` to the job at `version` (no version change) and, with `dueAt`, sets its due time.
   * False when the job moved on or ended meanwhile.
   */
  addIncident(tenantId: string, jobId: string, version: number, incident: Incident, dueAt?: Date): Promise<boolean>;
  /** Non-terminal jobs whose due time is before `before`, earliest first (the reconciler). */
  listDue(before: Date, limit: number): Promise<readonly JobRecord[]>;
}

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

export interface AccountTokens {
  readonly access_token: string;
  readonly refresh_token: string | null;
  readonly expires_at: string | null;
  readonly refresh_token_expires_at: string | null;
  /** The connection (AccountRecord.connectionId) these tokens belong to; absent in secrets written before connections had ids. */
  readonly connection_id?: string | null;
}

export interface TokenVault {
  /** Creates or replaces the account's tokens; returns the reference stored on the account. */
  save(tenantId: string, accountId: string, tokens: AccountTokens): Promise<string>;
}

export interface JobQueue {
  /** Sends a queued job to its FIFO message group (tenant#account), deduplicated by job id + version. */
  enqueue(record: JobRecord): Promise<void>;
  /** Parks a scheduled/retry_scheduled job in the delay queue until `next_attempt_at` (≤ 900 s a hop). */
  hold(record: JobRecord, now: Date): Promise<void>;
  /** Pacing: parks a queued job (no attempt, no state change) in the delay queue until its slot. */
  holdForPacing(record: JobRecord, waitMs: number, slotMs?: number): Promise<void>;
  /** Puts a paced job back into its FIFO group (a fresh deduplication id per hold). */
  releaseHold(record: JobRecord, holdId: string, slotMs?: number): Promise<void>;
}

/** Pacing: one token bucket per account and one for the whole app (lambdas/domain/token-bucket.ts). */
export interface Pacer {
  /**
   * Takes a token from the account's and the app's bucket. Without one: how long to wait, and the slot
   * reserved for this job (pass it back when the job returns, so it keeps its place in line).
   */
  acquire(
    tenantId: string,
    accountId: string,
    limitPerMinute: number,
    reservedSlotMs?: number,
  ): Promise<{ granted: boolean; waitMs: number; slotMs?: number }>;
  /** A 429 without Retry-After: slow the account's bucket down (it recovers gradually). */
  penalize(tenantId: string, accountId: string, limitPerMinute: number): Promise<void>;
}

/** An access token and the connection it belongs to (what a dead-account verdict is judged on). */
export interface AccessToken {
  readonly token: string;
  readonly connectionId: string | null;
}

/** Access tokens for an account, refreshed ahead of expiry and on demand (after a 401). */
export interface TokenProvider {
  /**
   * `forceRefresh`: the last token was refused (401); read the stored tokens again, use a different access
   * token found there, otherwise refresh. `connectionId`: the account's current connection; tokens cached
   * for another one are read again.
   */
  accessToken(tenantId: string, accountId: string, options?: { forceRefresh?: boolean; connectionId?: string | null }): Promise<AccessToken>;
}

/** The refresh token is missing, expired or refused: only a human reconnecting the account helps. */
export class TokenRefreshError extends Error {
  constructor(
    readonly status: number | null,
    message: string,
    /** The connection whose refresh token failed: only that connection may be marked dead. */
    readonly connectionId: string | null = null,
  ) {
    super(message);
    this.name = 'TokenRefreshError';
  }
}

/**
 * A refresh was needed but the Pinterest app credentials are still the placeholder the stack stores at
 * deploy time: every refresh would be refused, whatever the account. The operator must store them; the
 * account is fine.
 */
export class AppCredentialsMissingError extends Error {
  constructor(message = 'the Pinterest app credentials are not configured (the secret still holds the placeholder)') {
    super(message);
    this.name = 'AppCredentialsMissingError';
  }
}

export interface Deps {
  readonly jobs: JobStore;
  readonly tenants: TenantStore;
  readonly vault: TokenVault;
  readonly queue: JobQueue;
  readonly clock: Clock;
}
