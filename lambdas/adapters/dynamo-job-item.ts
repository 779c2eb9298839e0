import { PUBLISH_QUEUE } from '../../definitions/queues.ts';
import { isTerminal, type Job, type JobRecord, type JobStatus, type SentPin } from '../domain/job.ts';
import { decodeOutboxEntry, encodeOutboxEntry, outboxEntriesOf, type OutboxEntry } from '../domain/outbox.ts';
import { expectedMoveBy } from '../domain/reconciliation.ts';

/**
 * A job as the jobs table stores it: the domain's job as a nested map, plus the keys of each listing
 * index, the outbox and the due index (definitions/tables.ts JOBS_TABLE).
 */

export type Item = Record<string, unknown>;

/**
 * The outbox on the item (docs/adr/0001-outbox-for-enqueue.md): `outbox` is a string set of what the job's
 * versions still owe (lambdas/domain/outbox.ts), and `pending_enqueue_pk/since` put the job in the sparse
 * `by_pending_enqueue` index while anything is owed, `since` being when the oldest of it was written.
 */
export const OUTBOX = 'outbox';
export const PENDING_PK = 'pending_enqueue_pk';
export const PENDING_SINCE = 'pending_enqueue_since';
export const PENDING_PARTITION = 'PENDING';
/**
 * Attributes toItem writes for some versions only: replace removes those the new version does not have.
 * A new one belongs here too (test/unit/adapters/dynamo-job-store.test.ts checks toItem against this list).
 */
export const OPTIONAL_ATTRIBUTES = [
  'due_pk',
  'due_at',
  'lease_until',
  'run_after_attempt',
  'crash_count',
  'sent_pins',
  'expires_at_epoch',
] as const;
/** The due index's one partition: every non-terminal job (ADR 0009 on when to shard it). */
export const DUE_PARTITION = 'DUE';

export const jobKey = (tenantId: string, jobId: string) => `JOB#${tenantId}#${jobId}`;

/** The listing indexes' partitions: every job is listed under its tenant, its status and its account. */
export const LISTING_PARTITION = {
  tenant: (tenantId: string) => `T#${tenantId}`,
  status: (tenantId: string, status: JobStatus) => `T#${tenantId}#S#${status}`,
  account: (tenantId: string, accountId: string) => `T#${tenantId}#A#${accountId}`,
  accountStatus: (tenantId: string, accountId: string, status: JobStatus) => `T#${tenantId}#A#${accountId}#S#${status}`,
} as const;

/**
 * The stored item. `redeliverySeconds` is the publish queue's visibility timeout: how long after a running
 * job's lease its claiming message comes back by itself (lambdas/domain/reconciliation.ts).
 */
export function toItem(record: JobRecord, retentionDays: number, redeliverySeconds: number = PUBLISH_QUEUE.visibilityTimeoutSeconds): Item {
  const { job, tenantId } = record;
  const item: Item = {
    pk: jobKey(tenantId, job.id),
    tenant_id: tenantId,
    job_id: job.id,
    status: job.status,
    version: record.version,
    body_hash: record.bodyHash,
    job,
    tenant_pk: LISTING_PARTITION.tenant(tenantId),
    status_pk: LISTING_PARTITION.status(tenantId, job.status),
    account_pk: LISTING_PARTITION.account(tenantId, job.account_id),
    account_status_pk: LISTING_PARTITION.accountStatus(tenantId, job.account_id, job.status),
    list_sk: `${job.created_at}#${job.id}`,
  };
  const owed = outboxEntriesOf(record);
  if (owed.length > 0) {
    item[OUTBOX] = new Set(owed.map(encodeOutboxEntry));
    item[PENDING_PK] = PENDING_PARTITION;
    item[PENDING_SINCE] = job.updated_at;
  }
  const due = expectedMoveBy(record, redeliverySeconds * 1000);
  if (due) {
    item.due_pk = DUE_PARTITION;
    item.due_at = due.toISOString();
  }
  if (job.status === 'running' && record.leaseUntil) item.lease_until = record.leaseUntil;
  if (record.runAfterAttempt) item.run_after_attempt = record.runAfterAttempt;
  if (record.crashCount) item.crash_count = record.crashCount;
  if (record.sentPins && record.sentPins.length > 0) item.sent_pins = record.sentPins;
  if (isTerminal(job.status)) {
    item.expires_at_epoch = Math.floor(new Date(job.updated_at).getTime() / 1000) + retentionDays * 86_400;
  }
  return item;
}

export function fromItem(item: Item): JobRecord {
  return {
    tenantId: item.tenant_id as string,
    version: Number(item.version),
    bodyHash: item.body_hash as string,
    // Jobs stored before incidents existed read back with none.
    job: { ...(item.job as Job), incidents: (item.job as Partial<Job>).incidents ?? [] },
    ...(item.lease_until ? { leaseUntil: item.lease_until as string } : {}),
    ...(item.run_after_attempt ? { runAfterAttempt: Number(item.run_after_attempt) } : {}),
    ...(item.crash_count ? { crashCount: Number(item.crash_count) } : {}),
    ...(Array.isArray(item.sent_pins) ? { sentPins: item.sent_pins as SentPin[] } : {}),
  };
}

/** What the item says the outbox still owes (elements it does not understand are left alone). */
export function outboxOf(item: Item): OutboxEntry[] {
  const owed = item[OUTBOX];
  if (!(owed instanceof Set) && !Array.isArray(owed)) return [];
  return [...(owed as Iterable<unknown>)]
    .map((e) => (typeof e === 'string' ? decodeOutboxEntry(e) : null))
    .filter((e): e is OutboxEntry => e !== null);
}
