import { describe, expect, it } from 'vitest';
import { retryPolicy } from '../../../lambdas/domain/backoff.ts';
import { classifyAttempt } from '../../../lambdas/domain/classify.ts';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import {
  crashBudgetSpentOutcome,
  crashOutcome,
  deadlineOutcome,
  describeError,
  recordOutcome,
  verificationOutcome,
} from '../../../lambdas/domain/outcome.ts';
import { claimedRecord, T0 } from '../builders.ts';

const POLICY = retryPolicy({ baseSeconds: 5, maxAttempts: 5 });
const FINISHED = '2026-03-01T12:00:02.000Z';
const context = { now: new Date(FINISHED), policy: POLICY, random: () => 0.5 };
const open = (extra: Partial<JobRecord> = {}): JobRecord => ({
  ...claimedRecord({ startedAt: T0, leaseUntil: '2026-03-01T12:01:00.000Z' }),
  ...extra,
});

describe('the outcomes the worker builds itself', () => {
  it('crashOutcome: before any create, with crashes left ⇒ retry_now, counted against the crash budget', () => {
    const outcome = crashOutcome(open(), new TypeError('boom'), false, POLICY);

    expect(outcome).toMatchObject({
      pin: null,
      crashed: true,
      input: { kind: 'crash', phase: 'before_send', retriesLeft: true },
      classification: { outcome: 'retry_now', reason: 'handler_exception' },
      message: 'worker crash 1 of at most 3 in this run, before any create was sent: TypeError: boom',
    });
  });

  it('crashOutcome: the crash that spends the budget after a create ⇒ unknown (one board check left)', () => {
    const outcome = crashOutcome(open({ crashCount: 2 }), new Error('gone'), true, POLICY);

    expect(outcome).toMatchObject({
      input: { kind: 'crash', phase: 'after_send', retriesLeft: true },
      classification: { outcome: 'unknown' },
      message: 'worker crash 3 of at most 3 in this run, after sending the create: Error: gone',
      crashed: true,
    });
  });

  it('crashOutcome: the crash that spends the budget before any create ⇒ bug, to engineering', () => {
    const outcome = crashOutcome(open({ crashCount: 2 }), new Error('gone'), false, POLICY);

    expect(outcome).toMatchObject({
      input: { kind: 'crash', phase: 'before_send', retriesLeft: false },
      classification: { outcome: 'bug', route: 'engineering' },
      message: 'worker crash 3 of at most 3 in this run, before any create was sent: Error: gone',
    });
  });

  it('crashOutcome: a crash during the last board check ⇒ bug, to engineering', () => {
    const outcome = crashOutcome(open({ crashCount: 3 }), new Error('gone'), false, POLICY);

    expect(outcome).toMatchObject({ classification: { outcome: 'bug', route: 'engineering' } });
  });

  it('crashBudgetSpentOutcome: the board shows no pin ⇒ bug, to engineering, not itself a crash', () => {
    const outcome = crashBudgetSpentOutcome(open({ crashCount: 3 }), ['board-1']);

    expect(outcome).toMatchObject({
      pin: null,
      classification: { outcome: 'bug', route: 'engineering', reason: 'handler_exception' },
      message: 'the worker crashed 3 times in this run; the pin is not on board board-1 and no new create was sent',
    });
    expect(outcome).not.toHaveProperty('crashed');
  });

  it('deadlineOutcome: a clean retry_now, never an unknown outcome', () => {
    expect(deadlineOutcome(9_000)).toEqual({
      pin: null,
      input: { kind: 'deadline' },
      message: 'the worker stopped before sending the create: 9000 ms left in the invocation',
      classification: classifyAttempt({ kind: 'deadline' }),
    });
  });

  it.each([
    [
      'ambiguous',
      { kind: 'verification', result: 'ambiguous', candidatePinIds: ['11', '12'] } as const,
      '2 pins on board 1, 2 match this job and no other job recorded them: 11, 12',
      'verification_ambiguous',
    ],
    [
      'not found',
      { kind: 'verification', result: 'not_found', unknowns: 3 } as const,
      'Pinterest never confirmed the pin in 3 attempts and it is not on board 1, 2',
      'outcome_unknown',
    ],
  ])('verificationOutcome: %s names every board the pin was sent to', (_what, input, message, reason) => {
    const outcome = verificationOutcome(input, ['1', '2'], { boardId: '1' });

    expect(outcome).toMatchObject({ pin: null, input, message, classification: { outcome: 'needs_human', reason, route: 'ops' } });
  });

  it('describeError keeps the class and drops quoted input and token-shaped text', () => {
    expect(describeError(new SyntaxError('Unexpected token \'p\', "pina_abc" is not valid JSON'))).toBe(
      'SyntaxError: Unexpected token "…", "…" is not valid JSON',
    );
    expect(describeError(new Error('refused pinr_XYZ.123 for account'))).toBe('Error: refused [redacted] for account');
    expect(describeError('x'.repeat(400))).toMatch(/^string: x{300}…$/);
  });
});

describe('recordOutcome: the attempt recorded, the job moved on as the retry policy decides', () => {
  it('a retryable failure ⇒ retry_scheduled at the decided time, lease released', () => {
    const outcome = {
      pin: null,
      input: { kind: 'http', status: 503, code: null, retryAfterSeconds: null },
      message: 'HTTP 503',
      classification: classifyAttempt({ kind: 'http', status: 503, code: null, retryAfterSeconds: null }),
    } as const;

    const next = recordOutcome(open(), outcome, context);

    expect(next).toMatchObject({ leaseUntil: null, job: { status: 'retry_scheduled', next_attempt_at: '2026-03-01T12:00:05.000Z' } });
    expect(next.job.attempts.at(-1)).toMatchObject({
      finished_at: FINISHED,
      outcome: 'retry_now',
      http_status: 503,
      retry_at: '2026-03-01T12:00:05.000Z',
    });
  });

  it('a crash ⇒ the crash is counted on the record', () => {
    const next = recordOutcome(open({ crashCount: 1 }), crashOutcome(open({ crashCount: 1 }), new Error('x'), false, POLICY), context);
    expect(next.crashCount).toBe(2);
  });

  it('an exhausted class ⇒ failed to ops as <reason>_retries_exhausted', () => {
    const lastOfFive = open({ runAfterAttempt: 0 });
    const earlier = Array.from({ length: 4 }, (_, i) => ({
      ...lastOfFive.job.attempts[0]!,
      number: i + 1,
      outcome: 'retry_now' as const,
      finished_at: T0,
    }));
    const record: JobRecord = {
      ...lastOfFive,
      job: { ...lastOfFive.job, attempts: [...earlier, { ...lastOfFive.job.attempts[0]!, number: 5 }] },
    };
    const input = { kind: 'transport', phase: 'before_send' } as const;

    const next = recordOutcome(record, { pin: null, input, message: 'refused', classification: classifyAttempt(input) }, context);

    expect(next.job).toMatchObject({
      status: 'failed',
      next_attempt_at: null,
      failure: { route: 'ops', reason: 'network_error_retries_exhausted' },
    });
  });

  it('an ambiguous verification ⇒ failed with the candidate pin ids', () => {
    const outcome = verificationOutcome({ kind: 'verification', result: 'ambiguous', candidatePinIds: ['11', '12'] }, ['1'], {
      boardId: '1',
    });

    const next = recordOutcome(open(), outcome, context);

    expect(next.job.failure).toMatchObject({ route: 'ops', reason: 'verification_ambiguous', candidate_pin_ids: ['11', '12'] });
  });

  it('a pin ⇒ succeeded with its URL', () => {
    const next = recordOutcome(open(), { pin: { id: '42' }, verified: true, classification: null }, context);
    expect(next.job).toMatchObject({
      status: 'succeeded',
      result: { pin_id: '42', pin_url: 'https://www.pinterest.com/pin/42/', verified: true },
    });
  });
});
