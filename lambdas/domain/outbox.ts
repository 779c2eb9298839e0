import { statusChangeOf, type StatusChangeRef } from './events.ts';
import { JOB_STATUSES, OWES_MESSAGE, type JobRecord, type JobStatus } from './job.ts';

/**
 * What the outbox owes a job (docs/adr/0001-outbox-for-enqueue.md). Pure.
 *
 * Every version written to the jobs table records its obligations on the item: the queue message its
 * status owes (queued → the FIFO queue, scheduled/retry_scheduled → the delay queue) and, when the
 * version changed the status, the event of that change. The relay and the sweeper confirm each one once
 * it is done. Obligations of older versions are kept until confirmed (a job may move on before its
 * event was published), except that a message is only ever owed for the current version: a newer
 * version owes its own, and the worker ignores messages for older ones.
 */

export type OutboxEntry = { readonly kind: 'message'; readonly version: number } | ({ readonly kind: 'event' } & StatusChangeRef);

/** What this version of the job owes, message first (the job's progress does not wait for the bus). */
export function outboxEntriesOf(record: JobRecord): OutboxEntry[] {
  const entries: OutboxEntry[] = [];
  if (OWES_MESSAGE.has(record.job.status)) entries.push({ kind: 'message', version: record.version });
  const change = statusChangeOf(record);
  if (change) entries.push({ kind: 'event', ...change });
  return entries;
}

/** One element of the item's string set: `message <version>` or `event <version> <status> <at>`. */
export function encodeOutboxEntry(entry: OutboxEntry): string {
  return entry.kind === 'message' ? `message ${entry.version}` : `event ${entry.version} ${entry.status} ${entry.at}`;
}

/** The entry an element stands for, or null for anything else (ignored, and never confirmed). */
export function decodeOutboxEntry(text: string): OutboxEntry | null {
  const parts = text.split(' ');
  const version = Number(parts[1]);
  if (!Number.isSafeInteger(version) || version < 1) return null;
  if (parts[0] === 'message' && parts.length === 2) return { kind: 'message', version };
  const [, , status, at] = parts;
  if (
    parts[0] === 'event' &&
    parts.length === 4 &&
    status !== undefined &&
    at !== undefined &&
    (JOB_STATUSES as readonly string[]).includes(status) &&
    !Number.isNaN(Date.parse(at))
  ) {
    return { kind: 'event', version, status: status as JobStatus, at };
  }
  return null;
}
