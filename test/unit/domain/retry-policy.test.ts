import { describe, expect, it } from 'vitest';
import { retryPolicy } from '../../../lambdas/domain/backoff.ts';
import { classifyAttempt, type AttemptInput, type Classification } from '../../../lambdas/domain/classify.ts';
import type { Attempt, JobRecord, Outcome } from '../../../lambdas/domain/job.ts';
import {
  attemptsInCurrentRun,
  boardCheckOnly,
  countCrash,
  decideRetry,
  needsVerification,
  unknownCount,
  verificationBudgetSpent,
} from '../../../lambdas/domain/retry-policy.ts';
import { claimedRecord, T0 } from '../builders.ts';

// The local-mode defaults: base 5 s, 5 attempts (unknown: 3, crashes: 3, in total: 15); cap 900 s.
const POLICY = retryPolicy({ baseSeconds: 5, maxAttempts: 5 });
const NOW = new Date(T0);
const fixed = (value: number) => () => value;
const inSeconds = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

const attempt = (number: number, outcome: Outcome | null): Attempt => ({
  number,
  started_at: T0,
  finished_at: outcome === null ? null : T0,
  outcome,
  http_status: null,
  error_code: null,
  error_message: null,
  retry_at: null,
});

/** A running job whose earlier attempts ended in `before`, and whose last attempt is still open (being classified). */
function running(before: readonly Outcome[], extra: Partial<JobRecord> = {}): JobRecord {
  const base = claimedRecord({ startedAt: T0, leaseUntil: null });
  const attempts = [...before.map((outcome, i) => attempt(i + 1, outcome)), attempt(before.length + 1, null)];
  return { ...base, ...extra, job: { ...base.job, attempts, attempt_count: attempts.length } };
}

const classified = (input: AttemptInput): Classification => classifyAttempt(input);
const SERVER_ERROR = classified({ kind: 'http', status: 503, code: null, retryAfterSeconds: null });
const RATE_LIMITED = (retryAfterSeconds: number | null) => classified({ kind: 'http', status: 429, code: 8, retryAfterSeconds });
const LOST_ANSWER = classified({ kind: 'transport', phase: 'after_send' });

describe('decideRetry: retry or fail, exact with an injected time and jitter', () => {
  it.each([
    ['a first 5xx', [], SERVER_ERROR, 0.5, 3], // ceil(0.5 × 5)
    ['a third 5xx', ['retry_now', 'retry_now'], SERVER_ERROR, 0.5, 10], // 0.5 × 20
    ['a first 429 without Retry-After', [], RATE_LIMITED(null), 0.5, 15], // 0.5 × 6 × 5
    ['a 429 whose Retry-After is above the jitter', [], RATE_LIMITED(120), 0.1, 120],
    ['a Retry-After beyond the cap, honoured as sent', [], RATE_LIMITED(3600), 0.5, 3600],
    ['a first lost answer: the settle floor', [], LOST_ANSWER, 0.5, 60],
    ['other classes do not use up this one', ['retry_later', 'retry_later', 'unknown'], SERVER_ERROR, 1, 5],
  ] as const)('%s ⇒ retry in %i s', (_what, before, classification, random, seconds) => {
    // Act
    const decision = decideRetry(running(before), classification, { now: NOW, policy: POLICY, random: fixed(random) });

    // Assess
    expect(decision).toEqual({ retry: true, retryAt: inSeconds(seconds) });
  });

  it.each([
    ['needs_human', classified({ kind: 'http', status: 404, code: 40, retryAfterSeconds: null })],
    ['stop', classified({ kind: 'http', status: 400, code: 1, retryAfterSeconds: null })],
    ['bug', classified({ kind: 'crash' })],
  ] as const)('%s never retries, and is no exhausted retry either', (_what, classification) => {
    const decision = decideRetry(running([]), classification, { now: NOW, policy: POLICY, random: fixed(0.5) });
    expect(decision).toEqual({ retry: false, exhausted: false });
  });

  it.each([
    ['the fifth retry_now (class cap 5)', ['retry_now', 'retry_now', 'retry_now', 'retry_now'], SERVER_ERROR],
    ['the tenth retry_later (class cap 10)', Array.from({ length: 9 }, () => 'retry_later' as const), RATE_LIMITED(null)],
    [
      'the fifteenth attempt, however they mix (total cap 15)',
      [
        ...Array.from({ length: 8 }, () => 'retry_later' as const),
        'retry_now',
        'retry_now',
        'retry_now',
        'retry_now',
        'unknown',
        'unknown',
      ],
      RATE_LIMITED(null),
    ],
  ] as const)('fails once a cap is reached: %s', (_what, before, classification) => {
    const decision = decideRetry(running(before), classification, { now: NOW, policy: POLICY, random: fixed(0.5) });
    expect(decision).toEqual({ retry: false, exhausted: true });
  });

  it('an unknown outcome at its class cap still gets one more run: it only checks the board', () => {
    // Prepare: the third unknown of the run (class cap 3), so shouldRetry alone would give up
    const record = running(['unknown', 'unknown']);

    // Act
    const third = decideRetry(record, LOST_ANSWER, { now: NOW, policy: POLICY, random: fixed(0.5) });
    const fourth = decideRetry(running(['unknown', 'unknown', 'unknown']), LOST_ANSWER, { now: NOW, policy: POLICY, random: fixed(0.5) });

    // Assess
    expect(third).toEqual({ retry: true, retryAt: inSeconds(60) });
    expect(fourth).toEqual({ retry: false, exhausted: true });
  });

  it('counts the current run only: a requeue gives the job its budgets again', () => {
    // Prepare: four 5xx before the requeue after attempt 4, one after it
    const record = running(['retry_now', 'retry_now', 'retry_now', 'retry_now', 'retry_now'], { runAfterAttempt: 4 });

    // Act
    const decision = decideRetry(record, SERVER_ERROR, { now: NOW, policy: POLICY, random: fixed(0.5) });

    // Assess: the second retry_now of the run: 0.5 × 10
    expect(decision).toEqual({ retry: true, retryAt: inSeconds(5) });
  });

  it('takes its jitter from the injected random, once', () => {
    let calls = 0;
    const random = () => {
      calls++;
      return 0.2;
    };
    expect(decideRetry(running(['retry_now']), SERVER_ERROR, { now: NOW, policy: POLICY, random })).toEqual({
      retry: true,
      retryAt: inSeconds(2),
    });
    expect(calls).toBe(1);
  });
});

describe('the run: attempts since the last requeue', () => {
  it('attemptsInCurrentRun keeps the attempts numbered above runAfterAttempt', () => {
    const record = running(['retry_now', 'unknown', 'stop'], { runAfterAttempt: 2 });
    expect(attemptsInCurrentRun(record).map((a) => a.number)).toEqual([3, 4]);
    expect(attemptsInCurrentRun(running(['retry_now']))).toHaveLength(2);
  });

  it('unknownCount counts the unknown outcomes of the run only', () => {
    expect(unknownCount(running(['unknown', 'unknown', 'retry_now', 'unknown'], { runAfterAttempt: 1 }))).toBe(2);
  });
});

describe('verification before a create', () => {
  it.each([
    [[], false],
    [['retry_now', 'retry_later', 'stop', 'needs_human'], false],
    [['unknown'], true],
    [['bug'], true], // a crash or an unexpected answer may have created the pin too
    [['retry_now', 'unknown', 'retry_now'], true],
  ] as const)('earlier outcomes %j ⇒ needs verification: %s', (before, expected) => {
    expect(needsVerification(running(before).job)).toBe(expected);
  });

  it.each([
    [['unknown', 'unknown'], undefined, false],
    [['unknown', 'unknown', 'unknown'], undefined, true],
    [['unknown', 'unknown', 'unknown'], 1, false], // one of them before the requeue
  ] as const)('unknowns %j, requeued after attempt %s ⇒ budget spent: %s', (before, runAfterAttempt, expected) => {
    const record = running(before, runAfterAttempt !== undefined ? { runAfterAttempt } : {});
    expect(verificationBudgetSpent(record, POLICY)).toBe(expected);
  });

  it('scales with a smaller policy: with 2 attempts, 2 unknowns spend it', () => {
    expect(verificationBudgetSpent(running(['unknown', 'unknown']), retryPolicy({ baseSeconds: 5, maxAttempts: 2 }))).toBe(true);
  });
});

describe('countCrash: the run’s crash budget', () => {
  it.each([
    [undefined, { crashes: 1, max: 3, retriesLeft: true }],
    [1, { crashes: 2, max: 3, retriesLeft: true }],
    [2, { crashes: 3, max: 3, retriesLeft: false }],
  ] as const)('before any create, after %s crashes ⇒ %j', (crashCount, expected) => {
    const record = running([], crashCount !== undefined ? { crashCount } : {});
    expect(countCrash(record, POLICY, false)).toEqual(expected);
  });

  it('is capped by the policy: with 2 attempts the second crash fails the job', () => {
    expect(countCrash(running([], { crashCount: 1 }), retryPolicy({ baseSeconds: 5, maxAttempts: 2 }), false)).toEqual({
      crashes: 2,
      max: 2,
      retriesLeft: false,
    });
  });

  it('the crash that spends the budget leaves one attempt when this attempt’s create may have left', () => {
    expect(countCrash(running([], { crashCount: 2 }), POLICY, true)).toEqual({ crashes: 3, max: 3, retriesLeft: true });
  });

  it('not when only an earlier attempt may have created it: this attempt crashed before its own create (in the board check)', () => {
    expect(countCrash(running(['unknown'], { crashCount: 2 }), POLICY, false)).toEqual({ crashes: 3, max: 3, retriesLeft: false });
  });

  it('a crash beyond the budget (during the board check) fails the job, create or not', () => {
    expect(countCrash(running(['unknown'], { crashCount: 3 }), POLICY, true)).toEqual({ crashes: 4, max: 3, retriesLeft: false });
  });
});

describe('boardCheckOnly', () => {
  it.each([
    [undefined, false],
    [2, false],
    [3, true],
    [4, true],
  ] as const)('after %s crashes ⇒ %s', (crashCount, expected) => {
    expect(boardCheckOnly(running([], crashCount !== undefined ? { crashCount } : {}), POLICY)).toBe(expected);
  });
});
