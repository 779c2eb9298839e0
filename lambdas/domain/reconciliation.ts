import { isTerminal, OWES_MESSAGE, transition, type Incident, type Job, type JobRecord } from './job.ts';

/**
 * Stranded jobs (docs/adr/0009-reconciler.md): a non-terminal job moves only when one of its queue
 * messages is delivered. These pure functions say by when that should have happened, and what the
 * reconciler writes when it did not. No I/O, time passed in.
 */

/** The due time of a job whose message was dead-lettered: before any real time, so the next reconciler run takes it first. */
export const DUE_IMMEDIATELY = new Date(0);

/**
 * When something should have moved the job if its message chain were alive (the reconciler adds its
 * grace on top; null for terminal jobs, which nothing needs to move):
 * - queued: its last change (the outbox sends its FIFO message at once; a pacing hold moves this time
 *   to the reserved slot with JobStore.extendDue);
 * - scheduled / retry_scheduled: its next_attempt_at, or its last change if that is later;
 * - running: the end of its lease plus `redeliveryMs` (the publish queue's visibility timeout): until
 *   then the claiming message comes back by itself and its worker recovers the expired lease.
 */
export function expectedMoveBy(record: JobRecord, redeliveryMs: number): Date | null {
  const { job } = record;
  if (isTerminal(job.status)) return null;
  const changed = Date.parse(job.updated_at);
  if (job.status === 'running') {
    const leaseEnd = record.leaseUntil ? Date.parse(record.leaseUntil) : changed;
    return new Date(leaseEnd + redeliveryMs);
  }
  if (job.status === 'queued') return new Date(changed);
  const next = job.next_attempt_at ? Date.parse(job.next_attempt_at) : changed;
  return new Date(Math.max(next, changed));
}

/**
 * Whether a queue message (by the job version it carries) is the one the job is waiting for: the
 * current version, or the claim a worker made from it (`running` one version later). The same rule the
 * worker applies to drop stale deliveries.
 */
export function isCurrentMessage(record: JobRecord, messageVersion: number): boolean {
  return record.version === messageVersion || (record.job.status === 'running' && record.version === messageVersion + 1);
}

/** When the job's current run began: its creation, or its last requeue (failed → queued). */
function currentRunStart(job: Job): string {
  const history = job.status_history;
  for (let i = history.length - 1; i > 0; i--) {
    const entry = history[i];
    if (entry?.status === 'queued' && history[i - 1]?.status === 'failed') return entry.at;
  }
  return job.created_at;
}

/** How many times the reconciler re-sent the job's message since its last requeue. */
export function redispatchesInCurrentRun(job: Job): number {
  const start = currentRunStart(job);
  return job.incidents.filter((i) => i.kind === 'redispatched' && i.at >= start).length;
}

/** The record with one more incident (the input is not modified; no version change). */
export function withIncident(record: JobRecord, incident: Incident): JobRecord {
  return { ...record, job: { ...record.job, incidents: [...record.job.incidents, incident] } };
}

/** Why the job needs a new message: its last incident says whether a dead-letter queue reported it. */
function strandedCause(job: Job): string {
  const last = job.incidents.at(-1);
  if (last?.kind === 'message_dead_lettered') {
    return `its ${last.queue ? `${last.queue} queue ` : ''}message was dead-lettered`;
  }
  return 'nothing moved it in time: its queue message was lost or dead-lettered unnoticed';
}

/**
 * Re-dispatch: the same status, one version later, with an incident saying why. The version change
 * makes the outbox send a fresh message (its deduplication id names the new version), and every older
 * message still alive becomes stale: the worker and the delay-queue consumer drop messages for another
 * version. No status_history entry: the status did not change.
 */
export function redispatched(record: JobRecord, now: Date, limits: { maxRedispatches: number }): JobRecord {
  const { job } = record;
  if (!OWES_MESSAGE.has(job.status)) throw new Error(`a ${job.status} job is not re-dispatched`);
  const at = now.toISOString();
  const n = redispatchesInCurrentRun(job) + 1;
  const detail =
    `${strandedCause(job)} while the job was ${job.status}: sent a fresh message for version ${record.version + 1} ` +
    `(re-dispatch ${n} of at most ${limits.maxRedispatches}); older messages are ignored.`;
  return {
    ...record,
    version: record.version + 1,
    job: { ...job, updated_at: at, incidents: [...job.incidents, { at, kind: 'redispatched', detail }] },
  };
}

/**
 * The job was re-dispatched `maxRedispatches` times and is stranded again: it fails for engineering
 * instead of looping (the lifecycle's only way from a waiting status to `failed`).
 */
export function stranded(record: JobRecord, now: Date, limits: { maxRedispatches: number }): JobRecord {
  const { job } = record;
  if (!OWES_MESSAGE.has(job.status)) throw new Error(`a ${job.status} job is not failed as stranded`);
  const at = now.toISOString();
  const count = redispatchesInCurrentRun(job);
  const message =
    `The job stayed ${job.status} without a live queue message after ${count} re-dispatches ` +
    `(at most ${limits.maxRedispatches}; last cause: ${strandedCause(job)}). See incidents for each one.`;
  return transition({ ...record, leaseUntil: null }, 'failed', now, {
    next_attempt_at: null,
    failure: {
      route: 'engineering',
      reason: 'stranded',
      http_status: null,
      error_code: null,
      message,
      remediation:
        'Check the publish and delay dead-letter queue alarms and the publish-pin and release-due-jobs logs for this job id, ' +
        'fix what keeps dropping its messages, then requeue the job (POST /v1/jobs/{job_id}/requeue).',
    },
    incidents: [...job.incidents, { at, kind: 'stranded', detail: message }],
  });
}
