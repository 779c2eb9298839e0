import { describe, expect, it } from 'vitest';
import { retryPolicy } from '../../../lambdas/domain/backoff.ts';
import { classifyAttempt } from '../../../lambdas/domain/classify.ts';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { recordOutcome } from '../../../lambdas/domain/outcome.ts';
import { claimedRecord, T0 } from '../builders.ts';

/**
 * The account's tokens could not be read from Secrets Manager (found by the fault-injection suite: a
 * one-second outage failed jobs to engineering as worker crashes). It is a wait, like a rate limit: the
 * job keeps its crash budget, gets the patient backoff and cap, and only a long outage fails it — to ops,
 * pointing at Secrets Manager.
 */
const POLICY = retryPolicy({ baseSeconds: 5, maxAttempts: 5 });
const FINISHED = '2026-03-01T12:00:02.000Z';
const context = { now: new Date(FINISHED), policy: POLICY, random: () => 0.5 };
const input = { kind: 'token_store_unavailable' } as const;
const message = 'Secrets Manager could not be read: ServiceUnavailable: injected';

/** A claimed record whose run already has `earlier` attempts that waited for the token store. */
function afterOutages(earlier: number): JobRecord {
  const claimed = claimedRecord({ startedAt: T0, leaseUntil: '2026-03-01T12:01:00.000Z' });
  const open = claimed.job.attempts[0]!;
  const before = Array.from({ length: earlier }, (_, i) => ({ ...open, number: i + 1, outcome: 'retry_later' as const, finished_at: T0 }));
  return { ...claimed, job: { ...claimed.job, attempts: [...before, { ...open, number: earlier + 1 }] } };
}

describe('the token store unavailable', () => {
  it('is retry_later, reason token_store_unavailable, nobody to route to yet', () => {
    expect(classifyAttempt(input)).toEqual({
      outcome: 'retry_later',
      reason: 'token_store_unavailable',
      route: null,
      retryAfterSeconds: null,
      remediation: null,
    });
  });

  it('past the crash budget (3) the job still retries, and its crash count is untouched', () => {
    const next = recordOutcome(afterOutages(3), { pin: null, input, message, classification: classifyAttempt(input) }, context);

    expect(next.crashCount).toBeUndefined();
    expect(next.job.status).toBe('retry_scheduled');
    expect(next.job.attempts.at(-1)).toMatchObject({ outcome: 'retry_later', error_message: message, http_status: null });
  });

  it('once the rate-limit cap (2 × maxAttempts) is spent: failed to ops, remediation pointing at Secrets Manager', () => {
    const next = recordOutcome(afterOutages(9), { pin: null, input, message, classification: classifyAttempt(input) }, context);

    expect(next.job.failure).toMatchObject({
      route: 'ops',
      reason: 'token_store_unavailable_retries_exhausted',
      message,
      remediation: expect.stringContaining("could not be read from Secrets Manager through 10 attempts: check Secrets Manager's health"),
    });
  });
});
