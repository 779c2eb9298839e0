import type { Job } from '../api/schemas.ts';
import { classMaxAttempts, isRetryable, nextDelaySeconds, shouldRetry, type RetryPolicy } from './backoff.ts';
import type { AttemptInput, Classification } from './classify.ts';
import { transition, type JobRecord } from './job.ts';

/**
 * What an attempt's outcome does to the job: the retry and failure policy on top of the classification
 * (lambdas/domain/classify.ts decides the class; lambdas/domain/backoff.ts the timing and caps). Pure.
 */

export type AttemptOutcome =
  | { readonly pin: { readonly id: string }; readonly verified: boolean; readonly classification: null }
  | {
      readonly pin: null;
      readonly classification: Classification;
      readonly input: AttemptInput;
      /** Goes into the attempt and the failure record: never a token or a request body. */
      readonly message: string;
      /** The worker crashed during this attempt: counts against the run's crash budget. */
      readonly crashed?: boolean;
    };

export function pinUrl(pinId: string): string {
  return `https://www.pinterest.com/pin/${pinId}/`;
}

/** Attempts since the job was last requeued (POST /v1/jobs/{id}/requeue): the retry caps count these. */
export function attemptsInCurrentRun(record: JobRecord, attempts: Job['attempts'] = record.job.attempts): Job['attempts'] {
  const after = record.runAfterAttempt ?? 0;
  return attempts.filter((a) => a.number > after);
}

export function unknownCount(record: JobRecord): number {
  return attemptsInCurrentRun(record).filter((a) => a.outcome === 'unknown').length;
}

export interface OutcomeContext {
  readonly now: Date;
  readonly policy: RetryPolicy;
  /** Uniform in [0, 1): the jitter of the next delay. */
  readonly random: () => number;
}

function statusAndCode(input: AttemptInput): { httpStatus: number | null; errorCode: number | null } {
  if (input.kind === 'http') return { httpStatus: input.status, errorCode: input.code };
  if (input.kind === 'token_refresh_failed') return { httpStatus: input.status, errorCode: null };
  return { httpStatus: null, errorCode: null };
}

/**
 * Records the running job's last attempt and moves the job on: `succeeded`, `retry_scheduled` (the
 * outbox parks it in the delay queue), or `failed` with a route and a remediation.
 */
export function recordOutcome(record: JobRecord, outcome: AttemptOutcome, { now, policy, random }: OutcomeContext): JobRecord {
  const at = now.toISOString();
  const attempts = [...record.job.attempts];
  const last = attempts[attempts.length - 1]!;
  const done: JobRecord = { ...record, leaseUntil: null, ...(outcome.pin === null && outcome.crashed ? { crashCount: (record.crashCount ?? 0) + 1 } : {}) };

  if (outcome.classification === null) {
    attempts[attempts.length - 1] = { ...last, finished_at: at, outcome: 'succeeded' };
    return transition(done, 'succeeded', now, {
      attempts,
      result: { pin_id: outcome.pin.id, pin_url: pinUrl(outcome.pin.id), verified: outcome.verified },
      failure: null,
    });
  }

  const { classification, input } = outcome;
  const { httpStatus, errorCode } = statusAndCode(input);
  const finished = { ...last, finished_at: at, outcome: classification.outcome, http_status: httpStatus, error_code: errorCode, error_message: outcome.message };
  const run = attemptsInCurrentRun(record, attempts);
  const ofClass = run.filter((a) => a.outcome === classification.outcome).length + 1;
  const retry =
    isRetryable(classification.outcome) &&
    (shouldRetry({ outcome: classification.outcome, attemptsOfClass: ofClass, totalAttempts: run.length, policy }) ||
      // An unknown outcome is never failed blind: the next run only checks the board.
      (classification.outcome === 'unknown' && ofClass <= classMaxAttempts('unknown', policy)));

  if (retry && isRetryable(classification.outcome)) {
    const delay = nextDelaySeconds({
      outcome: classification.outcome,
      attemptNumber: ofClass,
      policy,
      random,
      retryAfterSeconds: classification.retryAfterSeconds,
    });
    const retryAt = new Date(now.getTime() + delay * 1000).toISOString();
    attempts[attempts.length - 1] = { ...finished, retry_at: retryAt };
    return transition(done, 'retry_scheduled', now, { attempts, next_attempt_at: retryAt });
  }

  attempts[attempts.length - 1] = { ...finished, retry_at: null };
  const exhausted = isRetryable(classification.outcome);
  const candidates = input.kind === 'verification' && input.result === 'ambiguous' ? { candidate_pin_ids: [...input.candidatePinIds] } : {};
  const failure = exhausted
    ? {
        route: 'ops' as const,
        reason: `${classification.reason}_retries_exhausted`,
        http_status: httpStatus,
        error_code: errorCode,
        message: outcome.message,
        remediation: `Pinterest kept failing (${classification.reason}) through ${attempts.length} attempts: check Pinterest's status and the account, then requeue the job.`,
      }
    : {
        route: classification.route ?? 'engineering',
        reason: classification.reason,
        http_status: httpStatus,
        error_code: errorCode,
        message: outcome.message,
        remediation: classification.remediation ?? 'Report this job to engineering.',
        ...candidates,
      };
  return transition(done, 'failed', now, { attempts, failure, next_attempt_at: null });
}
