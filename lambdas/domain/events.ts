import { createHash } from 'node:crypto';
import type { Job, JobRecord, JobStatus } from './job.ts';
import type { MediaSource, PinFields } from './pin.ts';

/**
 * Job events: one per status change, derived from the jobs table's change stream (the outbox,
 * docs/adr/0001-outbox-for-enqueue.md). Pure.
 *
 * The event id is a function of the job incarnation (tenant, job id, created_at) and the version that
 * made the change: a stream record delivered twice, a relay that retries after a partial failure, or
 * the sweeper publishing a change the relay could not, all publish the same id again, and receivers drop
 * the repeat by id. `created_at` is part of it because a job id is derived from the Idempotency-Key:
 * once a finished job has expired, the same key makes a new job with the same id, starting again at
 * version 1, and its events must not look like repeats of the old job's.
 */

export { EVENT_SOURCE } from '../../definitions/webhooks.ts';
/** Bumped only for changes a receiver must adapt to; additions keep it. */
export const EVENT_SCHEMA_VERSION = 1;

export const EVENT_ID_PATTERN = /^evt_[0-9a-f]{32}$/;

export type JobEventType = `job.${JobStatus}`;

export function eventIdFor(tenantId: string, jobId: string, jobCreatedAt: string, version: number): string {
  const digest = createHash('sha256').update(`${tenantId}\u0000${jobId}\u0000${jobCreatedAt}\u0000${version}`).digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

/** Inline image bytes as events carry them: their digest and size instead of the bytes. */
export interface EventImageBase64Source {
  readonly source_type: 'image_base64';
  readonly content_type: 'image/jpeg' | 'image/png';
  /** `sha256:<64 hex>` of the decoded image bytes. */
  readonly data: string;
  readonly data_bytes: number;
  readonly is_standard?: boolean | undefined;
}

export type EventMediaSource = Exclude<MediaSource, { source_type: 'image_base64' }> | EventImageBase64Source;

/** The job as events carry it (eventJob): the API's job, with inline image bytes replaced by their digest. */
export type EventJob = Omit<Job, 'pin'> & { readonly pin: Omit<PinFields, 'media_source'> & { readonly media_source: EventMediaSource } };

export interface JobEventDetail {
  readonly id: string;
  readonly type: JobEventType;
  readonly schema_version: typeof EVENT_SCHEMA_VERSION;
  /** When the status changed (the job's updated_at at that change). */
  readonly created_at: string;
  /** `created_at` in Unix seconds: the `webhook-timestamp` header of deliveries. */
  readonly timestamp: number;
  readonly tenant_id: string;
  readonly data: { readonly job: EventJob };
}

/** A status change: the version that made it, the status it moved to, and when. */
export interface StatusChangeRef {
  readonly version: number;
  readonly status: JobStatus;
  readonly at: string;
}

/**
 * The status change this version of the job made, or null when the version changed without one (the
 * reconciler's re-dispatch bumps the version and updated_at, but adds no status_history entry). Every
 * status change goes through `transition`, which appends `{status, at: updated_at}` to status_history;
 * so this version made one exactly when the last entry is its status at its updated_at. The store marks
 * what a version owes from this (the record alone), the relay from the stream's before/after pair
 * (jobEventFor): test/unit/domain/events.test.ts holds the two to the same answer.
 */
export function statusChangeOf(record: JobRecord): StatusChangeRef | null {
  const last = record.job.status_history.at(-1);
  if (!last || last.status !== record.job.status || last.at !== record.job.updated_at) return null;
  return { version: record.version, status: record.job.status, at: record.job.updated_at };
}

/**
 * The event a stream change owes, or null: only a change of status is an event (a version bump without
 * one — a re-dispatch — is not, nor is a rewrite of the same version or a removal).
 */
export function jobEventFor(before: JobRecord | null, after: JobRecord | null): JobEventDetail | null {
  if (!after) return null;
  if (before && (before.version === after.version || before.job.status === after.job.status)) return null;
  return jobEventOf(after, { version: after.version, status: after.job.status, at: after.job.updated_at });
}

/**
 * The event of status change `change`, carrying the job as `record` holds it. The relay passes the very
 * version that made the change. The sweeper passes the job as it is now: a change whose event could not
 * be published before the job moved on is published late, with the same id, type and created_at as it
 * would have had, and a newer job in `data.job` (receivers order by `data.job.updated_at`).
 */
export function jobEventOf(record: JobRecord, change: StatusChangeRef): JobEventDetail {
  return {
    id: eventIdFor(record.tenantId, record.job.id, record.job.created_at, change.version),
    type: `job.${change.status}`,
    schema_version: EVENT_SCHEMA_VERSION,
    created_at: change.at,
    timestamp: Math.floor(Date.parse(change.at) / 1000),
    tenant_id: record.tenantId,
    data: { job: eventJob(record.job) },
  };
}

/**
 * The job as events carry it: the API's job, except that inline image bytes (`image_base64.data`, up to
 * ~190 KB) are replaced by `sha256:<hex>` and their size in `data_bytes`, so every event stays far below
 * EventBridge's 256 KB limit and no receiver is sent the image again with every status change.
 */
export function eventJob(job: Job): EventJob {
  const media = job.pin.media_source;
  if (media.source_type !== 'image_base64') return job as EventJob;
  const bytes = Buffer.from(media.data, 'base64');
  const digested: EventImageBase64Source = {
    ...media,
    data: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    data_bytes: bytes.length,
  };
  return { ...job, pin: { ...job.pin, media_source: digested } };
}
