import { describe, expect, it } from 'vitest';
import {
  classMaxAttempts,
  delayUpperBoundSeconds,
  nextDelaySeconds,
  retryPolicy,
  shouldRetry,
  totalMaxAttempts,
  type RetryableOutcome,
} from '../../../lambdas/domain/backoff.ts';

// The local-mode defaults: base 5 s, 5 attempts; cap 900 s.
const POLICY = retryPolicy({ baseSeconds: 5, maxAttempts: 5 });
const fixed = (value: number) => () => value;

describe('retryPolicy', () => {
  it('defaults the cap to 900 s, one SQS delay hop', () => {
    expect(POLICY).toEqual({ baseSeconds: 5, maxAttempts: 5, capSeconds: 900 });
  });

  it.each([
    ['zero base', { baseSeconds: 0, maxAttempts: 5 }],
    ['negative base', { baseSeconds: -1, maxAttempts: 5 }],
    ['zero attempts', { baseSeconds: 5, maxAttempts: 0 }],
    ['fractional attempts', { baseSeconds: 5, maxAttempts: 2.5 }],
    ['cap below base', { baseSeconds: 5, maxAttempts: 5, capSeconds: 4 }],
    ['NaN cap', { baseSeconds: 5, maxAttempts: 5, capSeconds: Number.NaN }],
  ])('refuses %s', (_what, input) => {
    expect(() => retryPolicy(input)).toThrow(RangeError);
  });
});

describe('nextDelaySeconds: full jitter, exact with a fixed random', () => {
  it.each([
    // outcome, attempt, random, retryAfter, expected
    ['retry_now', 1, 0.5, null, 3], // ceil(0.5 × 5)
    ['retry_now', 2, 0.5, null, 5], // 0.5 × 10
    ['retry_now', 3, 0.25, null, 5], // 0.25 × 20
    ['retry_now', 5, 0.999, null, 80], // ceil(0.999 × 80)
    ['retry_now', 1, 0, null, 0], // full jitter may retry at once
    ['retry_now', 20, 0.5, null, 450], // capped at 900 before jitter
    ['retry_later', 1, 0.5, null, 15], // 0.5 × 30
    ['retry_later', 3, 0.5, null, 60], // 0.5 × 120
    ['retry_later', 6, 1, null, 900], // 30 × 32 = 960 → cap
    ['retry_later', 1, 0.1, 120, 120], // Retry-After floor above the jitter
    ['retry_later', 5, 0.9, 60, 432], // jitter above the floor: 0.9 × 480
    ['retry_later', 1, 0.5, 3600, 3600], // Retry-After beyond the cap is honoured as sent
    ['retry_now', 1, 0.5, 30, 30], // a 503's Retry-After is a floor too
    ['unknown', 1, 0.5, null, 60], // settle floor: max(base, 60)
    ['unknown', 3, 0.9, null, 60], // 0.9 × 20 = 18 < 60
    ['unknown', 1, 0.5, 90, 90], // Retry-After above the settle floor
  ] as const)('%s attempt %i, random %f, Retry-After %s ⇒ %i s', (outcome, attemptNumber, random, retryAfterSeconds, expected) => {
    // Act
    const delay = nextDelaySeconds({ outcome, attemptNumber, policy: POLICY, random: fixed(random), retryAfterSeconds });

    // Assess
    expect(delay).toBe(expected);
    expect(Number.isInteger(delay)).toBe(true);
  });

  it('uses the unknown settle floor of the base when the base is longer than 60 s', () => {
    const slow = retryPolicy({ baseSeconds: 90, maxAttempts: 5 });
    expect(nextDelaySeconds({ outcome: 'unknown', attemptNumber: 1, policy: slow, random: fixed(0) })).toBe(90);
  });

  it('clamps a random source that strays outside [0, 1]', () => {
    expect(nextDelaySeconds({ outcome: 'retry_now', attemptNumber: 2, policy: POLICY, random: fixed(7) })).toBe(10);
    expect(nextDelaySeconds({ outcome: 'retry_now', attemptNumber: 2, policy: POLICY, random: fixed(-1) })).toBe(0);
  });

  it.each([0, -1, 1.5])('refuses attempt number %s', (attemptNumber) => {
    expect(() => nextDelaySeconds({ outcome: 'retry_now', attemptNumber, policy: POLICY, random: fixed(0.5) })).toThrow(RangeError);
  });

  it('never leaves [floor, upper bound] over many random draws', () => {
    // Prepare: a small deterministic generator
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    for (const outcome of ['retry_now', 'retry_later'] as const) {
      for (let attempt = 1; attempt <= 12; attempt++) {
        // Act
        const delay = nextDelaySeconds({ outcome, attemptNumber: attempt, policy: POLICY, random });

        // Assess
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.ceil(delayUpperBoundSeconds(outcome, attempt, POLICY)));
      }
    }
  });
});

describe('delayUpperBoundSeconds', () => {
  it.each([
    ['retry_now', [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]],
    ['retry_later', [30, 60, 120, 240, 480, 900, 900, 900, 900, 900]],
    ['unknown', [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]],
  ] as const)('%s grows ×2 per attempt up to the cap', (outcome, expected) => {
    // Act
    const bounds = expected.map((_, i) => delayUpperBoundSeconds(outcome, i + 1, POLICY));

    // Assess
    expect(bounds).toEqual(expected);
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]).toBeGreaterThanOrEqual(bounds[i - 1]!);
  });

  it('retry_later waits longer than retry_now at every attempt before the cap', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(delayUpperBoundSeconds('retry_later', attempt, POLICY)).toBe(6 * delayUpperBoundSeconds('retry_now', attempt, POLICY));
    }
  });

  it('stays at the cap for absurd attempt numbers', () => {
    expect(delayUpperBoundSeconds('retry_later', 5000, POLICY)).toBe(900);
  });

  it('follows a custom cap', () => {
    expect(delayUpperBoundSeconds('retry_now', 10, retryPolicy({ baseSeconds: 1, maxAttempts: 3, capSeconds: 60 }))).toBe(60);
  });
});

describe('shouldRetry: per-class caps', () => {
  it.each([
    ['retry_now', 5],
    ['retry_later', 10],
    ['unknown', 3],
  ] as const)('%s allows %i attempts of its class', (outcome, cap) => {
    // Prepare
    const verdicts = Array.from({ length: cap + 1 }, (_, i) =>
      shouldRetry({ outcome, attemptsOfClass: i + 1, totalAttempts: i + 1, policy: POLICY }),
    );

    // Assess: retry after attempts 1..cap−1, stop at the cap
    expect(classMaxAttempts(outcome, POLICY)).toBe(cap);
    expect(verdicts.slice(0, cap - 1).every(Boolean)).toBe(true);
    expect(verdicts[cap - 1]).toBe(false);
    expect(verdicts[cap]).toBe(false);
  });

  it.each(['needs_human', 'stop', 'bug'] as const)('%s never retries', (outcome) => {
    expect(shouldRetry({ outcome, attemptsOfClass: 1, totalAttempts: 1, policy: POLICY })).toBe(false);
  });

  it('stops a job whose classes mix once the total cap is reached', () => {
    // Prepare: 3 × 5 = 15 attempts in total, each class well under its own cap
    expect(totalMaxAttempts(POLICY)).toBe(15);

    // Act / Assess
    expect(shouldRetry({ outcome: 'retry_later', attemptsOfClass: 4, totalAttempts: 14, policy: POLICY })).toBe(true);
    expect(shouldRetry({ outcome: 'retry_later', attemptsOfClass: 4, totalAttempts: 15, policy: POLICY })).toBe(false);
  });

  it('a single-attempt policy never retries, unknown included', () => {
    const once = retryPolicy({ baseSeconds: 5, maxAttempts: 1 });
    for (const outcome of ['retry_now', 'unknown'] as RetryableOutcome[]) {
      expect(shouldRetry({ outcome, attemptsOfClass: 1, totalAttempts: 1, policy: once })).toBe(false);
    }
    // retry_later keeps its double allowance: a 429 is "slow down", not a failure.
    expect(shouldRetry({ outcome: 'retry_later', attemptsOfClass: 1, totalAttempts: 1, policy: once })).toBe(true);
  });
});
