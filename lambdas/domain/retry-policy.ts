import { classMaxAttempts, isRetryable, maxCrashes, nextDelaySeconds, shouldRetry, type RetryPolicy } from './backoff.ts';
import type { Classification } from './classify.ts';
import type { Attempt, Job, JobRecord } from './job.ts';

/**
 * The worker's retry and failure policy: what a classified attempt (lambdas/domain/classify.ts) leads to,
 * given the caps and timing of lambdas/domain/backoff.ts and what the job's current run has been through.
 * Pure: the time and the jitter are passed in, so every decision is exact under test.
 *
 * A run is the job's attempts since it was last requeued (POST /v1/jobs/{id}/requeue): a requeue gives
 * the job its budgets again, and its attempt numbers continue.
 */

/** Attempts since the job was last requeued: the retry caps count these. */
export function attemptsInCurrentRun(record: JobRecord, attempts: readonly Attempt[] = record.job.attempts): Attempt[] {
  const after = record.runAfterAttempt ?? 0;
  return attempts.filter((a) => a.number > after);
}

export function unknownCount(record: JobRecord): number {
  return attemptsInCurrentRun(record).filter((a) => a.outcome === 'unknown').length;
}

/**
 * An earlier attempt may have created the pin: look on the board before creating again. `unknown` says
 * so; a `bug` (a crash, an unexpected answer) may have too, so a requeued job that failed that way is
 * checked as well.
 */
export function needsVerification(job: Job): boolean {
  return job.attempts.some((a) => a.outcome === 'unknown' || a.outcome === 'bug');
}

/**
 * The run's unknown outcomes have used up their class's attempts: a board that still does not show the
 * pin fails the job to a human instead of creating it again.
 */
export function verificationBudgetSpent(record: JobRecord, policy: RetryPolicy): boolean {
  return unknownCount(record) >= classMaxAttempts('unknown', policy);
}

/** A worker crash after the claim: which one of the run it is, and whether the run may still retry after it. */
export interface CrashCount {
  readonly crashes: number;
  readonly max: number;
  readonly retriesLeft: boolean;
}

export function countCrash(record: JobRecord, policy: RetryPolicy): CrashCount {
  const crashes = (record.crashCount ?? 0) + 1;
  const max = maxCrashes(policy);
  return { crashes, max, retriesLeft: crashes < max };
}

/** What follows a failed attempt: another one at `retryAt`, or the job fails (`exhausted`: a retryable class ran out). */
export type RetryDecision = { readonly retry: true; readonly retryAt: Date } | { readonly retry: false; readonly exhausted: boolean };

export interface RetryContext {
  readonly now: Date;
  readonly policy: RetryPolicy;
  /** Uniform in [0, 1): the jitter of the next delay. */
  readonly random: () => number;
}

/**
 * Retry or fail, for the running job's last attempt (still open in `record`) classified as `classification`.
 * Classes that never retry fail at once; the others retry while their class cap and the job's total cap
 * allow, after a jittered delay no shorter than Pinterest's Retry-After.
 */
export function decideRetry(record: JobRecord, classification: Classification, { now, policy, random }: RetryContext): RetryDecision {
  const { outcome } = classification;
  if (!isRetryable(outcome)) return { retry: false, exhausted: false };
  const run = attemptsInCurrentRun(record);
  const ofClass = run.filter((a) => a.outcome === outcome).length + 1;
  const allowed =
    shouldRetry({ outcome, attemptsOfClass: ofClass, totalAttempts: run.length, policy }) ||
    // An unknown outcome is never failed blind: the next run only checks the board.
    (outcome === 'unknown' && ofClass <= classMaxAttempts('unknown', policy));
  if (!allowed) return { retry: false, exhausted: true };
  const delay = nextDelaySeconds({ outcome, attemptNumber: ofClass, policy, random, retryAfterSeconds: classification.retryAfterSeconds });
  return { retry: true, retryAt: new Date(now.getTime() + delay * 1000) };
}
