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

/**
 * Counts one more crash of the run. The crash that spends the budget still leaves one attempt when this
 * attempt's create may have left the process: failing the job then could report `failed` for a pin that
 * exists, so the job gets a last attempt that only checks the board (see `boardCheckOnly`). A crash
 * before any create (the board check itself crashing, say) or during that last attempt fails the job.
 */
export function countCrash(record: JobRecord, policy: RetryPolicy, createMayHaveLeft: boolean): CrashCount {
  const crashes = (record.crashCount ?? 0) + 1;
  const max = maxCrashes(policy);
  return { crashes, max, retriesLeft: crashes < max || (crashes === max && createMayHaveLeft) };
}

/** "crash 2 of at most 3 in this run", or, for the last board check's crash, what that attempt was. */
export function crashOrdinal(crashes: number, max: number): string {
  return crashes <= max
    ? `crash ${crashes} of at most ${max} in this run`
    : `crash ${crashes} in this run, during the board check left after the budget of ${max} was spent`;
}

/**
 * The run's crash budget is spent: this attempt checks the board for a pin an earlier attempt may have
 * created and never sends a create; a board without the pin fails the job to engineering.
 */
export function boardCheckOnly(record: JobRecord, policy: RetryPolicy): boolean {
  return (record.crashCount ?? 0) >= maxCrashes(policy);
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
