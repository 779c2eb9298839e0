import type { Clock } from '../domain/clock.ts';
import type { PacingSignal } from '../domain/pacing.ts';
import type { JobRecord } from '../domain/job.ts';
import type { OutboxEntry } from '../domain/outbox.ts';
import type { Account, Incident, JobStatus } from '../api/schemas.ts';
import type { JobEventType } from '../../definitions/webhooks.ts';
import type { WebhookRecord, WebhookResources } from '../domain/webhook.ts';

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
  /**
   * The outbox confirms what it did for the job: each entry (lambdas/domain/outbox.ts) is a queue message
   * sent or an event published. When nothing is left owed, the job leaves the pending-outbox index.
   * Confirming an entry that is not (or no longer) owed is harmless; a missing job is fine.
   */
  confirmOutbox(tenantId: string, jobId: string, done: readonly OutboxEntry[]): Promise<void>;
  /**
   * Jobs whose outbox entries were not all confirmed since before `olderThan` (the outbox sweeper), each
   * as it is now with what it still owes, oldest first.
   */
  listPendingOutbox(olderThan: Date, limit: number): Promise<readonly PendingOutbox[]>;
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

/** A job with what the outbox still owes it (a job marked before entries existed owes none: see use-cases/outbox.ts). */
export interface PendingOutbox {
  readonly record: JobRecord;
  readonly entries: readonly OutboxEntry[];
}

/** One event for the pinrelay bus: its `detail-type` and its `detail` (a JSON object). */
export interface OutgoingEvent {
  readonly detailType: string;
  readonly detail: object;
}

export type PublishResult =
  | { readonly ok: true; readonly eventId: string }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

/** The pinrelay EventBridge bus (source `pinrelay`). */
export interface EventPublisher {
  /**
   * Publishes `events` in order and answers one result per event, in the same order: the bus accepts or
   * refuses each entry on its own, so some may fail while others are published. There is no
   * deduplication: publishing the same detail again publishes it again (receivers dedupe on `detail.id`).
   */
  publish(events: readonly OutgoingEvent[]): Promise<readonly PublishResult[]>;
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

/** The account a pacing call is about, with its configured limit (rate_limit_per_minute or the default). */
export interface PacedAccount {
  readonly tenantId: string;
  readonly accountId: string;
  readonly limitPerMinute: number;
}

/** A pacer's answer: go (with the grant's time when a token was taken), or wait (with a reserved slot). */
export interface PaceDecision {
  readonly granted: boolean;
  /** 0 when granted. */
  readonly waitMs: number;
  /** The slot reserved for this job: pass it back when the job returns, so it keeps its place in line. */
  readonly slotMs?: number;
  /** When a write token was taken: report the create's answer with it. */
  readonly grantAtMs?: number;
}

/**
 * Pacing (lambdas/domain/pacing.ts): per account a write budget at its effective limit and a read budget,
 * plus one write bucket for the whole app. The write token is taken at send time.
 */
export interface Pacer {
  /**
   * Before the claim: may this job start now? Takes nothing. Checks the account's write budget (a
   * Retry-After hold, the reserved slots, the bucket, the last minute) and, with `reads`, its read budget.
   * Without a go: how long to wait, and the slot reserved for this job.
   */
  admit(account: PacedAccount, options: { readonly reservedSlotMs?: number | undefined; readonly reads: boolean }): Promise<PaceDecision>;
  /**
   * Immediately before a create: the app's token, then the account's. A refusal by either spends nothing
   * (an app token taken for an account that then refuses is given back).
   */
  takeWrite(account: PacedAccount, reservedSlotMs?: number): Promise<PaceDecision>;
  /** Immediately before a board listing: a token of the account's read budget. */
  takeRead(account: PacedAccount): Promise<PaceDecision>;
  /** What Pinterest answered, for pacing (lambdas/domain/pacing.ts `pacingSignalOf`). */
  report(account: PacedAccount, signal: PacingSignal): Promise<void>;
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

// ---- webhook subscriptions (lambdas/use-cases/webhooks.ts) ----

/** Webhook subscriptions on the tenants table (`TENANT#<t>` / `WEBHOOK#<id>`). */
export interface WebhookStore {
  /** A new subscription (status `provisioning`); fails if the id exists. */
  create(record: WebhookRecord): Promise<void>;
  get(tenantId: string, webhookId: string): Promise<WebhookRecord | null>;
  /** Every subscription of the tenant, whatever its status, newest first. */
  list(tenantId: string): Promise<WebhookRecord[]>;
  /**
   * `provisioning` → `active` with the resources made. False when the subscription is gone or no longer
   * `provisioning` (a DELETE got there first): the caller undoes what it made.
   */
  activate(tenantId: string, webhookId: string, resources: WebhookResources, at: string): Promise<boolean>;
  /** Any status → `deleting` (hidden from now on). False when there is no such subscription. */
  markDeleting(tenantId: string, webhookId: string, at: string): Promise<boolean>;
  /** Removes the item; a missing one is fine. */
  remove(tenantId: string, webhookId: string): Promise<void>;
}

/**
 * A subscription's EventBridge resources, named `<prefix><webhook id>` (definitions/webhooks.ts).
 * One method per control-plane step, so the use case can undo exactly what it made when a later step fails.
 * The delete and remove methods succeed when the resource is already gone.
 */
export interface WebhookProvisioner {
  /** API-key connection: the secret is sent as WEBHOOK_SECRET_HEADER. Returns its ARN. */
  createConnection(webhookId: string, secret: string): Promise<string>;
  /** Returns the destination's ARN. */
  createApiDestination(webhookId: string, connectionArn: string, url: string): Promise<string>;
  /** The rule on the pinrelay bus with webhookEventPattern(...). Returns its ARN. */
  putRule(webhookId: string, tenantId: string, events: readonly JobEventType[]): Promise<string>;
  /** The rule's one target: the destination, the target role, input transformer, headers, retry policy, DLQ. */
  putTarget(webhookId: string, apiDestinationArn: string): Promise<void>;
  removeTarget(webhookId: string): Promise<void>;
  deleteRule(webhookId: string): Promise<void>;
  deleteApiDestination(webhookId: string): Promise<void>;
  deleteConnection(webhookId: string): Promise<void>;
  /** A new API key in the connection; the next request EventBridge makes uses it. */
  rotateSecret(webhookId: string, secret: string): Promise<void>;
  /** Puts one event on the pinrelay bus. */
  putEvent(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void>;
  /** Rules on the bus under the deployment's prefix (i.e. subscriptions, whatever their tenant). */
  countRules(): Promise<number>;
}

/** EventBridge refused a create because an account or bus quota is full (LimitExceededException). */
export class WebhookQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookQuotaError';
  }
}

/** The resource a rotate or test needed is gone (a DELETE got there first). */
export class WebhookResourceMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookResourceMissingError';
  }
}

/** A host name's addresses right now (node:dns lookup in Lambda); HostNotFoundError when it has none. */
export interface HostResolver {
  resolve(hostname: string): Promise<readonly string[]>;
}

// ---- operations and statistics (lambdas/use-cases/ops-jobs.ts, ops-queues.ts, stats.ts) ----

/** Which jobs a count is about: one status, optionally one account, optionally bounded in time. */
export interface JobCountQuery {
  readonly status: JobStatus;
  readonly accountId?: string;
  /** Only jobs created at or after this (a range on the listing indexes' sort key: exact and cheap). */
  readonly createdSince?: Date;
  /** Only jobs whose last change (`updated_at`) is at or after this; for a terminal job, when it finished (a filter). */
  readonly changedSince?: Date;
}

export interface JobCount {
  readonly count: number;
  /** False when the count stopped at its page budget: `count` is then a lower bound. */
  readonly complete: boolean;
}

/** Counting a tenant's jobs (GET /v1/stats, local mode's live summary). */
export interface JobStatistics {
  /** How many of the tenant's jobs match; reads at most `maxPages` index pages (1 MB each). */
  count(tenantId: string, query: JobCountQuery, options?: { readonly maxPages?: number }): Promise<JobCount>;
}

/** A non-terminal job past its due time, with that due time (the reconciler's index). */
export interface OverdueJob {
  readonly record: JobRecord;
  readonly dueAt: string;
}

export interface OverdueJobs {
  /** Non-terminal jobs whose due time is before `before`, earliest first: what the reconciler would take. */
  listOverdue(before: Date, limit: number): Promise<readonly OverdueJob[]>;
}

/** A connected account as a listing shows it. */
export interface AccountSummary {
  readonly accountId: string;
  readonly connectionStatus: Account['connection_status'];
  readonly rateLimitPerMinute: number | null;
}

/** Tenants and their accounts, listed: an operator's view (API handlers only ever see their own tenant). */
export interface TenantDirectory {
  /** Every tenant id, in id order. */
  listTenantIds(): Promise<string[]>;
  /** The tenant's accounts in account id order, at most `limit`, and whether there are more. */
  listAccounts(tenantId: string, limit: number): Promise<{ readonly accounts: readonly AccountSummary[]; readonly more: boolean }>;
}

/** The queues an operator looks at: the publish pipeline's, their dead-letter queues, and the parking ones. */
export const OPS_QUEUES = ['publish', 'publish_dlq', 'delay', 'delay_dlq', 'outbox_dlq', 'poison', 'webhook_dlq'] as const;
export type OpsQueue = (typeof OPS_QUEUES)[number];

export interface QueueDepth {
  /** Messages a consumer can receive now. */
  readonly visible: number;
  /** Received and not yet deleted (being processed, or waiting for their visibility timeout). */
  readonly in_flight: number;
  /** Sent with a delay that has not passed (the delay queue's holds). */
  readonly delayed: number;
}

/** A message move task (StartMessageMoveTask) as ListMessageMoveTasks reports it. */
export interface MoveTask {
  readonly handle: string | null;
  /** RUNNING, COMPLETED, CANCELLING, CANCELLED or FAILED. */
  readonly status: string;
  readonly moved: number;
  /** How many the task found to move when it started (null while SQS has not said). */
  readonly toMove: number | null;
  readonly failureReason: string | null;
}

/** How a dead-letter queue's messages go back: a message move task, or (where SQS has none) by hand. */
export type MoveTaskStart =
  | { readonly kind: 'started'; readonly handle: string }
  /** One task per queue at a time: the one already running is followed instead. */
  | { readonly kind: 'already_running'; readonly task: MoveTask }
  /** This SQS does not implement message move tasks (local mode's fauxqs). */
  | { readonly kind: 'unsupported'; readonly reason: string };

export interface QueueAdmin {
  /** The queues this deployment's configuration names (others are unknown to the caller). */
  configured(): readonly OpsQueue[];
  depth(queue: OpsQueue): Promise<QueueDepth>;
  /** StartMessageMoveTask from a dead-letter queue back to `to`. */
  startMoveTask(from: OpsQueue, to: OpsQueue): Promise<MoveTaskStart>;
  /** The dead-letter queue's latest move task, or null when it never had one (or this SQS has no move tasks). */
  latestMoveTask(from: OpsQueue): Promise<MoveTask | null>;
  /**
   * Moves every message visible now from `from` to `to` by receive, send, delete: the same body and
   * attributes, the FIFO message group kept, the deduplication id set to the dead-lettered message's id
   * (what SQS itself gives a message it dead-letters from a FIFO queue). `onBatch` after each batch.
   * `moved`: sent to `to`; `failed`: not sent (still in `from`); `notDeleted`: sent, but still in `from` too.
   */
  moveByHand(
    from: OpsQueue,
    to: OpsQueue,
    onBatch?: (moved: number, failed: number) => void,
  ): Promise<{ readonly moved: number; readonly failed: number; readonly notDeleted: number }>;
}
