import { classifyAttempt } from './classify.ts';
import { transition, type JobRecord } from './job.ts';
import { crashOrdinal } from './retry-policy.ts';

/**
 * A `running` job whose lease expired: the worker that claimed it died mid-attempt (killed, timed out,
 * out of memory) without recording anything. Used by the worker that receives the job's message again
 * and by the reconciler when that message is gone. Pure.
 *
 * Whether the create left the process is unknown, so the attempt is recorded `unknown` and the next run
 * checks the board before any new create. The job goes to `retry_scheduled`, due at once (the lease
 * already gave an in-flight create time to land): the outbox then sends exactly one new message, and the
 * delivery that found the expired lease is acknowledged — a crash never multiplies messages. After
 * `maxCrashes` crashes in the run the job gets one last attempt that only checks the board (the pin may
 * exist); a crash during that one fails the job, route engineering, instead of looping.
 */
export function recoverExpiredLease(record: JobRecord, now: Date, options: { maxCrashes: number }): JobRecord {
  const crashes = (record.crashCount ?? 0) + 1;
  // The crash that spends the budget leaves one board check (a create may have left): the job must not
  // read `failed` while its pin exists. A crash during that check fails the job.
  const retriesLeft = crashes <= options.maxCrashes;
  const classification = classifyAttempt({ kind: 'crash', phase: 'after_send', retriesLeft });
  const at = now.toISOString();
  const lease = record.leaseUntil ?? 'unknown';
  const next =
    crashes < options.maxCrashes
      ? 'the board is checked before any new create.'
      : crashes === options.maxCrashes
        ? 'the crash budget is spent, so the next attempt only checks the board: the pin there means success, no pin fails the job.'
        : 'the board is checked when the job is requeued.';
  const message =
    `the worker stopped mid-attempt (its lease expired at ${lease}); ${crashOrdinal(crashes, options.maxCrashes)}. ` +
    `Whether Pinterest created the pin is unknown: ${next}`;
  const attempts = record.job.attempts.map((a, i, all) =>
    i === all.length - 1 && a.finished_at === null
      ? {
          ...a,
          finished_at: at,
          outcome: classification.outcome,
          error_message: message,
          retry_at: classification.outcome === 'bug' ? null : at,
        }
      : a,
  );
  const base: JobRecord = { ...record, leaseUntil: null, crashCount: crashes };
  if (classification.outcome !== 'bug') {
    return transition(base, 'retry_scheduled', now, { attempts, next_attempt_at: at });
  }
  return transition(base, 'failed', now, {
    attempts,
    next_attempt_at: null,
    failure: {
      route: classification.route ?? 'engineering',
      reason: 'worker_crashed',
      http_status: null,
      error_code: null,
      message,
      remediation:
        `The worker died ${crashes} times on this job without recording an outcome (see the publish-pin logs for job ${record.job.id}): ` +
        'fix the cause, check the board for the pin, then requeue the job (a requeue verifies on the board before creating).',
    },
  });
}
