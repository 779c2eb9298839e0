import type { OutcomeClass } from './classify.ts';

/**
 * Retry timing and attempt caps per outcome class (README, "How a job is published"). Pure; randomness is injected,
 * so every delay is exact under test.
 *
 * Delay = FULL JITTER over an exponentially growing, capped upper bound:
 *   upper(n) = min(capSeconds, baseSeconds × multiplier × 2^(n−1))      n = attemptNumber (1-based)
 *   delay    = ceil(max(floor, random() × upper(n)))
 * where floor = Pinterest's Retry-After when it sent one, and for `unknown` at least the settle time.
 *
 * | class       | multiplier | attempts of the class before giving up | floor                                 |
 * |-------------|------------|-----------------------------------------|---------------------------------------|
 * | retry_now   | 1          | maxAttempts                             | Retry-After, if any                   |
 * | retry_later | 6          | 2 × maxAttempts                         | Retry-After, if any                   |
 * | unknown     | 1          | min(3, maxAttempts) verify-then-create  | max(baseSeconds, 60 s), Retry-After   |
 * | (any)       |            | 3 × maxAttempts attempts in total       |                                       |
 * | crashes     |            | min(3, maxAttempts) worker crashes a run |                                      |
 *
 * With the defaults (base 5 s, maxAttempts 5, cap 900 s) the upper bounds are
 *   retry_now:   5, 10, 20, 40, 80 s
 *   retry_later: 30, 60, 120, 240, 480, 900, 900, 900, 900, 900 s
 *   unknown:     60 s floor (the bound 5, 10 s stays below it)
 *
 * Why: `retry_later` is "slow down": longer delays and more patience, because a 429 is never a reason to
 * fail a job early. `unknown` is capped low because each cycle costs a board listing and a possible
 * create; its floor gives a create that may still be in flight at Pinterest time to land (and show up in
 * the board listing) before we look for it. Delays above capSeconds only come from Retry-After, which is
 * honoured as sent: the delay queue re-delays beyond 900 s.
 */

export interface RetryPolicy {
  readonly baseSeconds: number;
  readonly maxAttempts: number;
  /** Upper bound of the jittered delay (Retry-After may exceed it). @default 900 */
  readonly capSeconds: number;
}

export type RetryableOutcome = 'retry_now' | 'retry_later' | 'unknown';

export const DEFAULT_CAP_SECONDS = 900;
/** Minimum wait before verifying an unknown outcome on the board. */
export const UNKNOWN_SETTLE_SECONDS = 60;
export const UNKNOWN_MAX_ATTEMPTS = 3;

interface ClassRule {
  readonly multiplier: number;
  readonly maxAttempts: (policy: RetryPolicy) => number;
  readonly floorSeconds: (policy: RetryPolicy) => number;
}

export const CLASS_RULES: Readonly<Record<RetryableOutcome, ClassRule>> = {
  retry_now: { multiplier: 1, maxAttempts: (p) => p.maxAttempts, floorSeconds: () => 0 },
  retry_later: { multiplier: 6, maxAttempts: (p) => 2 * p.maxAttempts, floorSeconds: () => 0 },
  unknown: {
    multiplier: 1,
    maxAttempts: (p) => Math.min(UNKNOWN_MAX_ATTEMPTS, p.maxAttempts),
    // 60 s with the default 5 s base; scales down with the base so local runs and tests stay quick.
    floorSeconds: (p) => Math.max(p.baseSeconds, Math.min(UNKNOWN_SETTLE_SECONDS, 12 * p.baseSeconds)),
  },
};

/** Builds a validated policy; `capSeconds` defaults to 900 (one SQS delay hop). */
export function retryPolicy(input: { baseSeconds: number; maxAttempts: number; capSeconds?: number }): RetryPolicy {
  const capSeconds = input.capSeconds ?? DEFAULT_CAP_SECONDS;
  if (!Number.isFinite(input.baseSeconds) || input.baseSeconds <= 0) throw new RangeError('baseSeconds must be a positive number');
  if (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 1) throw new RangeError('maxAttempts must be an integer ≥ 1');
  if (!Number.isFinite(capSeconds) || capSeconds < input.baseSeconds) throw new RangeError('capSeconds must be a number ≥ baseSeconds');
  return { baseSeconds: input.baseSeconds, maxAttempts: input.maxAttempts, capSeconds };
}

export function isRetryable(outcome: OutcomeClass): outcome is RetryableOutcome {
  return outcome === 'retry_now' || outcome === 'retry_later' || outcome === 'unknown';
}

/** How many attempts may end in `outcome` before the job fails with that class's last reason. */
export function classMaxAttempts(outcome: RetryableOutcome, policy: RetryPolicy): number {
  return CLASS_RULES[outcome].maxAttempts(policy);
}

/** Worker crashes (exceptions after the claim, expired leases) a run survives before it fails to engineering. */
export const MAX_CRASHES = 3;

export function maxCrashes(policy: RetryPolicy): number {
  return Math.min(MAX_CRASHES, policy.maxAttempts);
}

/** A job never runs more attempts than this, however its failures mix. */
export function totalMaxAttempts(policy: RetryPolicy): number {
  return 3 * policy.maxAttempts;
}

/** The un-jittered bound of the delay after the `attemptNumber`-th attempt of this class. */
export function delayUpperBoundSeconds(outcome: RetryableOutcome, attemptNumber: number, policy: RetryPolicy): number {
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1) throw new RangeError('attemptNumber must be an integer ≥ 1');
  // 2^(n−1) overflows to Infinity for huge n; min() keeps the result at the cap.
  return Math.min(policy.capSeconds, policy.baseSeconds * CLASS_RULES[outcome].multiplier * 2 ** (attemptNumber - 1));
}

export interface NextDelayInput {
  readonly outcome: RetryableOutcome;
  /** 1-based count of attempts so far that ended in `outcome` (the one just classified included). */
  readonly attemptNumber: number;
  readonly policy: RetryPolicy;
  /** Uniform in [0, 1), e.g. Math.random; injected so tests are exact. */
  readonly random: () => number;
  readonly retryAfterSeconds?: number | null;
}

/** Whole seconds to wait before the next attempt (SQS DelaySeconds is an integer). */
export function nextDelaySeconds(input: NextDelayInput): number {
  const upper = delayUpperBoundSeconds(input.outcome, input.attemptNumber, input.policy);
  const r = Math.min(Math.max(input.random(), 0), 1);
  const floor = Math.max(CLASS_RULES[input.outcome].floorSeconds(input.policy), input.retryAfterSeconds ?? 0);
  return Math.ceil(Math.max(floor, r * upper));
}

export interface ShouldRetryInput {
  readonly outcome: OutcomeClass;
  /** Attempts so far that ended in `outcome`, the one just classified included. */
  readonly attemptsOfClass: number;
  /** All attempts of the job so far, the one just classified included. */
  readonly totalAttempts: number;
  readonly policy: RetryPolicy;
}

/**
 * True while another attempt is allowed. False for the classes that never retry (needs_human, stop,
 * bug) and once a cap is reached. When an `unknown` job runs out of attempts, the caller must still
 * verify on the board once before failing it: the pin may exist.
 */
export function shouldRetry(input: ShouldRetryInput): boolean {
  if (!isRetryable(input.outcome)) return false;
  return input.attemptsOfClass < classMaxAttempts(input.outcome, input.policy) && input.totalAttempts < totalMaxAttempts(input.policy);
}
