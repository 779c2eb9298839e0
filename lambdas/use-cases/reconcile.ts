import { isTerminal, type Incident, type JobRecord } from '../domain/job.ts';
import {
  DUE_IMMEDIATELY,
  isCurrentMessage,
  redispatched,
  redispatchesInCurrentRun,
  stranded,
  withIncident,
} from '../domain/reconciliation.ts';
import { recoverExpiredLease } from '../domain/recovery.ts';
import {
  PoisonMessageError,
  type DeadLetterSource,
  type Deps,
  type JobMessage,
  type JobMessageParser,
  type PoisonParking,
} from './ports.ts';

/**
 * Stranded jobs (docs/adr/0009-reconciler.md): no job may stay non-terminal without something that will
 * move it. Two use cases:
 * - `reconcileStranded`, on a schedule: every non-terminal job carries a due time (when its message
 *   chain should have moved it; lambdas/domain/reconciliation.ts). Jobs overdue by more than the grace
 *   are re-dispatched (a new version, so exactly one message is current), recovered (a running job whose
 *   lease expired with no message left to redeliver it), or, after too many re-dispatches, failed.
 * - `recordDeadLetter`, on the publish and delay dead-letter queues: records the incident on the job and
 *   makes it due at once, so the next reconciler run re-dispatches it. Anything that is not a job
 *   message is parked in the poison queue with where it came from.
 */

export interface ReconcileOptions {
  /** How long past its due time a job must be before it is taken for stranded. */
  readonly graceSeconds: number;
  /** Jobs examined per run (bounded work; a larger backlog drains over consecutive runs). */
  readonly limit: number;
  /** Re-dispatches per run of the job (since its last requeue) before it fails as stranded. */
  readonly maxRedispatches: number;
  /** Crashes per run before an expired lease fails the job (the worker's own limit). */
  readonly maxCrashes: number;
}

export type ReconcileAction = 'redispatched' | 'recovered' | 'stranded' | 'skipped';

export interface ReconcileReport {
  readonly examined: number;
  readonly redispatched: number;
  readonly recovered: number;
  readonly stranded: number;
  /** Listed but no longer due when re-read (moved on, finished, or its due time was extended). */
  readonly skipped: number;
  /** Jobs whose handling threw; the others were still handled. The caller fails the run with them. */
  readonly errors: readonly { readonly jobId: string; readonly error: unknown }[];
}

export async function reconcileStranded(deps: Pick<Deps, 'jobs' | 'clock'>, options: ReconcileOptions): Promise<ReconcileReport> {
  const now = deps.clock.now();
  const before = new Date(now.getTime() - options.graceSeconds * 1000);
  const listed = await deps.jobs.listDue(before, options.limit);
  const counts: Record<ReconcileAction, number> = { redispatched: 0, recovered: 0, stranded: 0, skipped: 0 };
  const errors: { jobId: string; error: unknown }[] = [];
  for (const candidate of listed) {
    try {
      counts[await reconcileOne(deps, candidate, now, before, options)]++;
    } catch (error) {
      // One job that cannot be handled must not keep the rest of the page stranded; the run still fails.
      errors.push({ jobId: candidate.job.id, error });
    }
  }
  return { examined: listed.length, ...counts, errors };
}

async function reconcileOne(
  deps: Pick<Deps, 'jobs'>,
  candidate: JobRecord,
  now: Date,
  before: Date,
  options: ReconcileOptions,
): Promise<ReconcileAction> {
  // The index is eventually consistent: decide on the job as it is now.
  const record = await deps.jobs.get(candidate.tenantId, candidate.job.id);
  if (!record || isTerminal(record.job.status)) return 'skipped';

  let next: JobRecord;
  let action: ReconcileAction;
  if (record.job.status === 'running') {
    if (record.leaseUntil && Date.parse(record.leaseUntil) > now.getTime()) return 'skipped'; // its worker still holds it
    const recovered = recoverExpiredLease(record, now, { maxCrashes: options.maxCrashes });
    next = withIncident(recovered, {
      at: now.toISOString(),
      kind: 'lease_expired',
      detail:
        `the worker's claim expired at ${record.leaseUntil ?? 'an unknown time'} and no queue message was left to redeliver the job: ` +
        (recovered.job.status === 'failed'
          ? 'the attempt is recorded as unknown and the job failed (too many crashes).'
          : 'the attempt is recorded as unknown and a retry is scheduled.'),
    });
    action = 'recovered';
  } else if (redispatchesInCurrentRun(record.job) >= options.maxRedispatches) {
    next = stranded(record, now, options);
    action = 'stranded';
  } else {
    next = redispatched(record, now, options);
    action = 'redispatched';
  }
  // Conditional on the version and on still being due: a job that moved, or whose due time was extended
  // (a pacing hold), since it was read is left alone.
  return (await deps.jobs.replace(next, record.version, { dueBefore: before })) ? action : 'skipped';
}

export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly queue: DeadLetterSource;
  /** The dead-letter queue's ApproximateReceiveCount, when it has one. */
  readonly receiveCount: number | null;
  readonly messageGroupId?: string;
}

export type DeadLetterResult = 'recorded' | 'stale' | 'job_gone' | 'parked';

/** Optimistic retries when the job changes between our read and our write. */
const MAX_CONCURRENT_RETRIES = 3;

/** What recording a dead letter needs: the jobs, a clock, where poison is parked, and the queue body's parser. */
export type DeadLetterDeps = Pick<Deps, 'jobs' | 'clock'> & { readonly poison: PoisonParking; readonly parseMessage: JobMessageParser };

export async function recordDeadLetter(deps: DeadLetterDeps, dead: DeadLetter): Promise<DeadLetterResult> {
  let message: JobMessage;
  try {
    message = deps.parseMessage(dead.messageId, dead.body);
  } catch (error) {
    if (!(error instanceof PoisonMessageError)) throw error;
    await deps.poison.park({
      body: dead.body,
      sourceQueue: dead.queue,
      messageId: dead.messageId,
      reason: error.message,
      ...(dead.messageGroupId !== undefined ? { messageGroupId: dead.messageGroupId } : {}),
    });
    return 'parked';
  }

  for (let i = 0; i < MAX_CONCURRENT_RETRIES; i++) {
    const record = await deps.jobs.get(message.tenant_id, message.job_id);
    if (!record) return 'job_gone';
    // A message for a version the job has left behind was not what the job was waiting for.
    if (isTerminal(record.job.status) || !isCurrentMessage(record, message.version)) return 'stale';
    const incident: Incident = {
      at: deps.clock.now().toISOString(),
      kind: 'message_dead_lettered',
      queue: dead.queue,
      ...(dead.receiveCount !== null ? { receive_count: dead.receiveCount } : {}),
      detail: deadLetterDetail(dead, message.version, message.hold === 'pacing'),
    };
    if (await deps.jobs.addIncident(record.tenantId, record.job.id, record.version, incident, DUE_IMMEDIATELY)) return 'recorded';
  }
  throw new Error(`job ${message.job_id} kept changing while its dead-lettered message was being recorded`);
}

function deadLetterDetail(dead: DeadLetter, version: number, pacingHold: boolean): string {
  const what = `${pacingHold ? 'pacing-hold ' : ''}message for version ${version}`;
  const receives = dead.receiveCount !== null ? ` after about ${dead.receiveCount} receives` : '';
  const consumer = dead.queue === 'publish' ? 'publish-pin' : 'release-due-jobs';
  return (
    `the ${dead.queue} queue dead-lettered the job's ${what}${receives}: ${consumer} failed on it every time (see its logs for this job id). ` +
    'The reconciler sends a fresh message on its next run.'
  );
}
