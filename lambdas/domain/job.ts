import type { PinFields } from './pin.ts';

/**
 * The job: its model (what GET /v1/jobs/{id} shows and events carry) and its state machine (statuses as
 * the README lists them). Pure: no I/O, time passed in. Every status change goes through `transition`,
 * which refuses moves the lifecycle does not allow and records the change in `status_history`, so the
 * job record alone explains what happened. lambdas/api/schemas/job.ts describes these types on the wire;
 * lambdas/api/domain-match.ts proves at compile time that both say the same.
 */

export const JOB_STATUSES = ['scheduled', 'queued', 'running', 'retry_scheduled', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** An attempt's outcome class (lambdas/domain/classify.ts); `succeeded` when Pinterest created or verified the pin. */
export const OUTCOMES = ['succeeded', 'retry_now', 'retry_later', 'unknown', 'needs_human', 'stop', 'bug'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Attempt {
  number: number;
  started_at: string;
  finished_at: string | null;
  outcome: Outcome | null;
  http_status: number | null;
  error_code: number | null;
  error_message: string | null;
  retry_at: string | null;
}

export interface JobResult {
  pin_id: string;
  pin_url: string;
  verified: boolean;
}

/** Who has to act on a failed job. */
export const FAILURE_ROUTES = ['ops', 'client', 'engineering'] as const;
export type FailureRoute = (typeof FAILURE_ROUTES)[number];

export interface JobFailure {
  route: FailureRoute;
  reason: string;
  http_status: number | null;
  error_code: number | null;
  message: string;
  remediation: string;
  /** reason verification_ambiguous: the pins that match the job, none of them recorded by another job. */
  candidate_pin_ids?: string[] | undefined;
}

export interface StatusChange {
  status: JobStatus;
  at: string;
}

export const INCIDENT_KINDS = ['message_dead_lettered', 'redispatched', 'lease_expired', 'stranded'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** The queues a job's messages travel on: the publish queue (FIFO) and the delay queue. */
export const JOB_QUEUES = ['publish', 'delay'] as const;
export type JobQueueName = (typeof JOB_QUEUES)[number];

/**
 * Something that happened to the job's queue messages rather than to the job itself: a message
 * dead-lettered, a message re-sent because none was left alive, an abandoned claim recovered, or the
 * job stopped after too many re-sends.
 */
export interface Incident {
  at: string;
  kind: IncidentKind;
  /** The queue the message was on (message_dead_lettered). */
  queue?: JobQueueName | undefined;
  /** message_dead_lettered: approximate number of receives of the message, as the dead-letter queue reports it. */
  receive_count?: number | undefined;
  detail: string;
}

export interface Job {
  id: string;
  status: JobStatus;
  idempotency_key: string;
  account_id: string;
  pin: PinFields;
  publish_at: string | null;
  metadata: Record<string, unknown>;
  attempt_count: number;
  next_attempt_at: string | null;
  attempts: Attempt[];
  result: JobResult | null;
  failure: JobFailure | null;
  status_history: StatusChange[];
  /** What happened to the job's queue messages, oldest first; empty for most jobs. */
  incidents: Incident[];
  created_at: string;
  updated_at: string;
}

/** What a caller submits (POST /v1/pins): the pin, the account to publish it with, when, and their own metadata. */
export interface SubmitPinCommand extends PinFields {
  account_id: string;
  publish_at?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
/** Statuses that owe the job a queue message (FIFO for queued, the delay queue for the waiting ones). */
export const OWES_MESSAGE: ReadonlySet<JobStatus> = new Set(['queued', 'scheduled', 'retry_scheduled']);
export const CANCELLABLE: ReadonlySet<JobStatus> = new Set(['queued', 'scheduled', 'retry_scheduled']);

/**
 * A waiting job (scheduled, queued, retry_scheduled) fails only when the reconciler gives up on a job
 * whose queue messages keep getting lost (lambdas/domain/reconciliation.ts `stranded`).
 */
const ALLOWED: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  scheduled: ['queued', 'cancelled', 'failed'],
  queued: ['running', 'cancelled', 'retry_scheduled', 'failed'],
  running: ['succeeded', 'failed', 'retry_scheduled', 'queued'],
  retry_scheduled: ['queued', 'cancelled', 'failed'],
  failed: ['queued'], // requeue
  succeeded: [],
  cancelled: [],
};

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL.has(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return ALLOWED[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: JobStatus,
    readonly to: JobStatus,
  ) {
    super(`a ${from} job cannot become ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** A job plus what the store needs to keep it consistent; none of these fields reach the API. */
export interface JobRecord {
  readonly tenantId: string;
  readonly job: Job;
  /** Incremented on every status change; optimistic-concurrency guard and part of the queue dedup id. */
  readonly version: number;
  /** SHA-256 of the canonical request body: same key + other body ⇒ idempotency_key_reused. */
  readonly bodyHash: string;
  /** While `running`: when the claiming worker's attempt is presumed dead (crash detection). */
  readonly leaseUntil?: string | null;
  /** Set by a requeue: attempts numbered above this belong to the current run (its retry caps). */
  readonly runAfterAttempt?: number;
  /** Attempts of the current run that ended in a worker crash (an exception, or a lease that expired). */
  readonly crashCount?: number;
  /**
   * Every version of the pin a create was sent with (the fields verification compares), oldest first. A
   * requeue with corrected fields changes `job.pin`; a pin created under the old fields must still be found.
   */
  readonly sentPins?: readonly SentPin[];
}

/** The fields of a pin that verification matches on the board (lambdas/domain/pin-match.ts). */
export type SentPin = Pick<PinFields, 'board_id' | 'board_section_id' | 'link' | 'title' | 'description'>;

export function sentPinOf(pin: PinFields): SentPin {
  return {
    board_id: pin.board_id,
    ...(pin.board_section_id !== undefined ? { board_section_id: pin.board_section_id } : {}),
    ...(pin.link !== undefined ? { link: pin.link } : {}),
    ...(pin.title !== undefined ? { title: pin.title } : {}),
    ...(pin.description !== undefined ? { description: pin.description } : {}),
  };
}

export interface NewJobInput {
  readonly tenantId: string;
  readonly jobId: string;
  readonly idempotencyKey: string;
  readonly request: SubmitPinCommand;
  readonly bodyHash: string;
  readonly now: Date;
}

/** Pin fields only: the request minus pinrelay's own envelope fields. */
export function pinFieldsOf(request: SubmitPinCommand): PinFields {
  const { account_id: _account, publish_at: _publishAt, metadata: _metadata, ...pin } = request;
  return pin;
}

/** A job due later than `now` waits as `scheduled`; anything else is `queued` at once. */
export function newJob(input: NewJobInput): JobRecord {
  const at = input.now.toISOString();
  const publishAt = input.request.publish_at ? new Date(input.request.publish_at) : null;
  const status: JobStatus = publishAt && publishAt.getTime() > input.now.getTime() ? 'scheduled' : 'queued';
  return {
    tenantId: input.tenantId,
    version: 1,
    bodyHash: input.bodyHash,
    job: {
      id: input.jobId,
      status,
      idempotency_key: input.idempotencyKey,
      account_id: input.request.account_id,
      pin: pinFieldsOf(input.request),
      publish_at: publishAt ? publishAt.toISOString() : null,
      metadata: input.request.metadata ?? {},
      attempt_count: 0,
      next_attempt_at: status === 'scheduled' && publishAt ? publishAt.toISOString() : null,
      attempts: [],
      result: null,
      failure: null,
      status_history: [{ status, at }],
      incidents: [],
      created_at: at,
      updated_at: at,
    },
  };
}

/**
 * Moves a job to `to`, returning the new record (the input is not modified). `changes` carries the
 * fields that move with the status (result, failure, next_attempt_at, …).
 */
export function transition(
  record: JobRecord,
  to: JobStatus,
  now: Date,
  changes: Partial<Omit<Job, 'id' | 'status' | 'status_history' | 'created_at' | 'updated_at'>> = {},
): JobRecord {
  const from = record.job.status;
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  const at = now.toISOString();
  return {
    ...record,
    version: record.version + 1,
    job: {
      ...record.job,
      ...changes,
      status: to,
      status_history: [...record.job.status_history, { status: to, at }],
      updated_at: at,
    },
  };
}
