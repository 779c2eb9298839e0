import { transition } from '../domain/job.ts';
import type { Deps, JobMessage } from './ports.ts';

/** A waiting job this close to its time goes back now (SQS delays are whole seconds). */
const DUE_SLACK_MS = 500;
/** A pacing hold may return this early: the worker sleeps the rest (never more than a second). */
const MAX_EARLY_MS = 1000;

export type ReleaseResult = 'released' | 'queued' | 'redelayed' | 'dropped';

/**
 * The delay queue's consumer: the one way back into the FIFO queue for jobs that waited.
 * - a pacing hold (`hold: 'pacing'`) of a still-queued job goes straight back into its FIFO group (a
 *   slot beyond one 900 s hop waits again, and the job's due time moves to the slot: JobStore.extendDue);
 * - a `scheduled`/`retry_scheduled` job that is due becomes `queued` (the outbox then enqueues it);
 *   one that is not due yet (a wait longer than one 900 s hop) is delayed again;
 * - anything else (cancelled, already running or finished, a newer version) is dropped: stale.
 */
export async function releaseDue(deps: Pick<Deps, 'jobs' | 'queue' | 'clock'>, message: JobMessage): Promise<ReleaseResult> {
  const record = await deps.jobs.get(message.tenant_id, message.job_id);
  if (!record || record.version !== message.version) return 'dropped';
  const now = deps.clock.now();

  if (message.hold === 'pacing') {
    if (record.job.status !== 'queued') return 'dropped';
    if (message.slot_ms !== undefined && message.slot_ms - now.getTime() > MAX_EARLY_MS) {
      // Still waiting in line, legitimately: the reconciler must not take it for stranded before its slot.
      // First, so a failure leaves this message to come back; false: the job changed meanwhile, stale.
      if (!(await deps.jobs.extendDue(record.tenantId, record.job.id, record.version, new Date(message.slot_ms)))) return 'dropped';
      await deps.queue.holdForPacing(record, message.slot_ms - now.getTime(), message.slot_ms); // a slot beyond one 900 s hop
      return 'redelayed';
    }
    await deps.queue.releaseHold(record, String(now.getTime()), message.slot_ms);
    return 'released';
  }
  if (record.job.status !== 'scheduled' && record.job.status !== 'retry_scheduled') return 'dropped';
  const due = record.job.next_attempt_at ? new Date(record.job.next_attempt_at).getTime() : now.getTime();
  if (due - now.getTime() > DUE_SLACK_MS) {
    await deps.queue.hold(record, now);
    return 'redelayed';
  }
  // A concurrent cancel wins: the conditional write fails and the job stays cancelled.
  const queued = transition(record, 'queued', now, { next_attempt_at: null });
  return (await deps.jobs.replace(queued, record.version)) ? 'queued' : 'dropped';
}
