import type { Incident, JobRecord, JobStatus } from '../../domain/job.ts';
import type { OutboxEntry } from '../../domain/outbox.ts';
import type { PinProblem } from '../../domain/pin.ts';

/** The jobs table and the job queues, as the use cases see them. */

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
  /** Newest first. A cursor from another tenant or filter is refused (InvalidCursor), never a leak. */
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

/**
 * The pin rules (the HTTP contract's, lambdas/api/schemas/pin.ts): every problem of a whole pin, empty
 * when it is valid. Given to the use cases that build a pin from parts, such as a requeue with corrections.
 */
export type CheckPin = (pin: unknown) => readonly PinProblem[];

// ---- operators' views of the jobs table (GET /v1/stats, the admin CLI) ----

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
