import { OWES_MESSAGE, type JobRecord } from '../domain/job.ts';
import type { Deps } from './ports.ts';

/**
 * The outbox's one action: give a job the queue message its status owes it (queued → its FIFO group,
 * scheduled/retry_scheduled → the delay queue), then record that it was sent. Safe to repeat: a repeat
 * within 5 minutes is dropped by FIFO deduplication, and the worker ignores messages for versions or
 * statuses that are no longer current.
 */
export async function dispatch(deps: Pick<Deps, 'jobs' | 'queue' | 'clock'>, record: JobRecord): Promise<boolean> {
  const status = record.job.status;
  if (!OWES_MESSAGE.has(status)) return false;
  if (status === 'queued') await deps.queue.enqueue(record);
  else await deps.queue.hold(record, deps.clock.now());
  await deps.jobs.markDispatched(record.tenantId, record.job.id, record.version);
  return true;
}

/** A stream record's before/after pair: only a version change (a status change) owes a message. */
export async function relayJobChange(
  deps: Pick<Deps, 'jobs' | 'queue' | 'clock'>,
  change: { readonly before: JobRecord | null; readonly after: JobRecord | null },
): Promise<boolean> {
  const { before, after } = change;
  if (!after) return false;
  if (before && before.version === after.version) return false;
  return dispatch(deps, after);
}

/**
 * Safety net behind the stream: jobs still marked undispatched `graceSeconds` after their change are
 * dispatched again (the stream consumer gave up, or a record was lost).
 */
export async function sweepUndispatched(
  deps: Pick<Deps, 'jobs' | 'queue' | 'clock'>,
  options: { graceSeconds: number; limit: number },
): Promise<number> {
  const olderThan = new Date(deps.clock.now().getTime() - options.graceSeconds * 1000);
  const stale = await deps.jobs.listUndispatched(olderThan, options.limit);
  let sent = 0;
  for (const record of stale) {
    if (await dispatch(deps, record)) sent++;
  }
  return sent;
}
