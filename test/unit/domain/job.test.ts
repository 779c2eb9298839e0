import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../lambdas/domain/clock.ts';
import {
  CANCELLABLE,
  canTransition,
  IllegalTransitionError,
  isTerminal,
  JOB_STATUSES,
  newJob,
  OWES_MESSAGE,
  pinFieldsOf,
  TERMINAL,
  transition,
  type JobRecord,
  type JobStatus,
} from '../../../lambdas/domain/job.ts';
import { pinRequest, T0, TENANT } from '../builders.ts';

const clock = fixedClock(T0);

function jobDue(publishAt: string | null | undefined, metadata?: Record<string, unknown>): JobRecord {
  const request = pinRequest({ ...(publishAt !== undefined ? { publish_at: publishAt } : {}), ...(metadata ? { metadata } : {}) });
  return newJob({ tenantId: TENANT, jobId: 'job_test', idempotencyKey: 'cms-4411', request, bodyHash: 'h'.repeat(64), now: clock.now() });
}

describe('newJob', () => {
  it.each([
    ['absent', undefined, 'queued', null, null],
    ['null', null, 'queued', null, null],
    ['in the past', '2026-03-01T11:59:59.999Z', 'queued', '2026-03-01T11:59:59.999Z', null],
    ['equal to now', '2026-03-01T12:00:00.000Z', 'queued', '2026-03-01T12:00:00.000Z', null],
    ['1 ms in the future', '2026-03-01T12:00:00.001Z', 'scheduled', '2026-03-01T12:00:00.001Z', '2026-03-01T12:00:00.001Z'],
    ['in the future with an offset', '2026-03-02T14:00:00+02:00', 'scheduled', '2026-03-02T12:00:00.000Z', '2026-03-02T12:00:00.000Z'],
  ] as const)('publish_at %s ⇒ %s', (_what, publishAt, status, storedPublishAt, nextAttemptAt) => {
    // Act
    const { job, version } = jobDue(publishAt);

    // Assess
    expect(job.status).toBe(status);
    expect(job.publish_at).toBe(storedPublishAt);
    expect(job.next_attempt_at).toBe(nextAttemptAt);
    expect(job.status_history).toEqual([{ status, at: T0 }]);
    expect(version).toBe(1);
  });

  it('starts with no attempts, no outcome and both timestamps at now', () => {
    const record = jobDue(undefined);

    expect(record).toMatchObject({ tenantId: TENANT, bodyHash: 'h'.repeat(64) });
    expect(record.job).toMatchObject({
      id: 'job_test',
      idempotency_key: 'cms-4411',
      account_id: 'acme-main',
      metadata: {},
      attempt_count: 0,
      attempts: [],
      result: null,
      failure: null,
      created_at: T0,
      updated_at: T0,
    });
  });

  it('keeps the caller metadata', () => {
    expect(jobDue(undefined, { post_id: 'cms-4411', tags: ['a'] }).job.metadata).toEqual({ post_id: 'cms-4411', tags: ['a'] });
  });
});

describe('pinFieldsOf', () => {
  it('strips pinrelay envelope fields and keeps every Pinterest field', () => {
    // Prepare
    const request = pinRequest({ publish_at: '2026-04-01T00:00:00Z', metadata: { a: 1 }, alt_text: 'A chair', dominant_color: '#aabbcc' });

    // Act
    const pin = pinFieldsOf(request);

    // Assess
    expect(pin).toEqual({
      board_id: '549755885175',
      title: 'Oak chair',
      link: 'https://example.com/products/oak-chair',
      alt_text: 'A chair',
      dominant_color: '#aabbcc',
      media_source: { source_type: 'image_url', url: 'https://example.com/images/chair.jpg' },
    });
    expect(request).toHaveProperty('account_id', 'acme-main'); // the request itself is not modified
    expect(jobDue('2026-04-01T00:00:00Z').job.pin).not.toHaveProperty('publish_at');
  });
});

/** The lifecycle as the README describes it (job statuses and what moves them); the code's table must match it exactly. */
const EXPECTED: Record<JobStatus, readonly JobStatus[]> = {
  scheduled: ['queued', 'cancelled', 'failed'],
  queued: ['running', 'cancelled', 'retry_scheduled', 'failed'],
  running: ['succeeded', 'failed', 'retry_scheduled', 'queued'],
  retry_scheduled: ['queued', 'cancelled', 'failed'],
  failed: ['queued'],
  succeeded: [],
  cancelled: [],
};

const PAIRS = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => ({ from, to, allowed: EXPECTED[from].includes(to) })));

function recordIn(status: JobStatus): JobRecord {
  const base = jobDue(undefined);
  return { ...base, version: 4, job: { ...base.job, status, status_history: [{ status, at: T0 }] } };
}

describe('transition', () => {
  const later = new Date('2026-03-01T12:05:00.000Z');

  it.each(PAIRS.filter((p) => p.allowed))('$from → $to is allowed', ({ from, to }) => {
    // Prepare
    const before = recordIn(from);
    const snapshot = structuredClone(before);

    // Act
    const after = transition(before, to, later, { attempt_count: 2 });

    // Assess
    expect(canTransition(from, to)).toBe(true);
    expect(after.version).toBe(5);
    expect(after.job.status).toBe(to);
    expect(after.job.status_history).toEqual([
      { status: from, at: T0 },
      { status: to, at: later.toISOString() },
    ]);
    expect(after.job.updated_at).toBe(later.toISOString());
    expect(after.job.created_at).toBe(T0);
    expect(after.job.attempt_count).toBe(2);
    expect(before).toEqual(snapshot);
  });

  it.each(PAIRS.filter((p) => !p.allowed))('$from → $to is refused', ({ from, to }) => {
    const before = recordIn(from);

    expect(canTransition(from, to)).toBe(false);
    expect(() => transition(before, to, later)).toThrow(IllegalTransitionError);
    expect(() => transition(before, to, later)).toThrow(expect.objectContaining({ from, to, name: 'IllegalTransitionError' }));
  });

  it('covers all 49 pairs', () => {
    expect(PAIRS).toHaveLength(49);
  });
});

describe('status sets', () => {
  it.each([
    ['TERMINAL', TERMINAL, ['cancelled', 'failed', 'succeeded']],
    ['CANCELLABLE', CANCELLABLE, ['queued', 'retry_scheduled', 'scheduled']],
    ['OWES_MESSAGE', OWES_MESSAGE, ['queued', 'retry_scheduled', 'scheduled']],
  ] as const)('%s', (_name, set, members) => {
    expect([...set].sort()).toEqual(members);
  });

  it.each(JOB_STATUSES)('isTerminal(%s) agrees with TERMINAL', (status) => {
    expect(isTerminal(status)).toBe(['succeeded', 'failed', 'cancelled'].includes(status));
  });

  it('every cancellable status can actually become cancelled', () => {
    for (const status of CANCELLABLE) expect(canTransition(status, 'cancelled')).toBe(true);
  });

  it('terminal statuses only leave through requeue (failed → queued)', () => {
    const exits = [...TERMINAL].flatMap((from) => JOB_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(exits).toEqual(['failed→queued']);
  });
});
