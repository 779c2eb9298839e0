import { FAILURE_ROUTES, INCIDENT_KINDS, JOB_QUEUES, JOB_STATUSES, OUTCOMES } from '../../domain/job.ts';
import { AccountId } from './account.ts';
import { PinFields } from './pin.ts';
import * as z from 'zod';
import './zod.ts';

/** Jobs on the wire (lambdas/domain/job.ts): GET, list, cancel and requeue. */

export const JobStatus = z.enum(JOB_STATUSES).openapi('JobStatus');
export type JobStatus = z.infer<typeof JobStatus>;

export const Attempt = z
  .object({
    number: z.number().int().min(1),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    http_status: z.number().int().nullable(),
    error_code: z.number().int().nullable(),
    error_message: z.string().nullable(),
    retry_at: z.string().nullable(),
  })
  .openapi('Attempt');

export const JobResult = z.object({ pin_id: z.string(), pin_url: z.string(), verified: z.boolean() }).openapi('JobResult');

export const JobFailure = z
  .object({
    route: z.enum(FAILURE_ROUTES),
    reason: z.string(),
    http_status: z.number().int().nullable(),
    error_code: z.number().int().nullable(),
    message: z.string(),
    remediation: z.string(),
    candidate_pin_ids: z
      .array(z.string())
      .optional()
      .openapi({ description: 'reason verification_ambiguous: the pins that match the job, none of them recorded by another job.' }),
  })
  .openapi('JobFailure');

export const StatusChange = z.object({ status: JobStatus, at: z.string() }).openapi('StatusChange');

/**
 * Something that happened to the job's queue messages rather than to the job itself: a message
 * dead-lettered, a message re-sent because none was left alive, an abandoned claim recovered, or the
 * job stopped after too many re-sends.
 */
export const Incident = z
  .object({
    at: z.string(),
    kind: z.enum(INCIDENT_KINDS),
    queue: z.enum(JOB_QUEUES).optional().openapi({ description: 'The queue the message was on (message_dead_lettered).' }),
    receive_count: z.number().int().optional().openapi({
      description: 'message_dead_lettered: approximate number of receives of the message, as reported by the dead-letter queue.',
    }),
    detail: z.string(),
  })
  .openapi('Incident');

export type Incident = z.infer<typeof Incident>;

export const Job = z
  .object({
    id: z.string().openapi({ example: 'job_0m4k7x2c9v1q8w3e5r6t7y8u9i' }),
    status: JobStatus,
    idempotency_key: z.string(),
    account_id: z.string(),
    pin: PinFields,
    publish_at: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    attempt_count: z.number().int().min(0),
    next_attempt_at: z.string().nullable(),
    attempts: z.array(Attempt),
    result: JobResult.nullable(),
    failure: JobFailure.nullable(),
    status_history: z.array(StatusChange),
    incidents: z.array(Incident).openapi({
      description: "What happened to the job's queue messages (dead-lettered, re-sent, recovered), oldest first; empty for most jobs.",
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Job');

export type Job = z.infer<typeof Job>;

/** Corrections for a failed job's pin: any PinCreate field; the merged pin is validated as a whole. */
export const RequeueRequest = z.object({ pin: PinFields.partial().strict().optional() }).strict().openapi('RequeueRequest');

export type RequeueRequest = z.infer<typeof RequeueRequest>;

export const ListJobsQuery = z
  .object({
    status: JobStatus.optional(),
    account_id: AccountId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .strict()
  .openapi('ListJobsQuery');

export const JobList = z.object({ items: z.array(Job), next_cursor: z.string().nullable() }).openapi('JobList');

export type JobList = z.infer<typeof JobList>;
