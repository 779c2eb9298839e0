import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, transition } from '../../../lambdas/domain/job.ts';
import {
  expectedMoveBy,
  isCurrentMessage,
  redispatched,
  redispatchesInCurrentRun,
  stranded,
} from '../../../lambdas/domain/reconciliation.ts';
import { claimedRecord, jobRecord, T0 } from '../builders.ts';

const T0_MS = Date.parse(T0);
const at = (ms: number) => new Date(T0_MS + ms).toISOString();

describe('expectedMoveBy', () => {
  it('queued: its last change', () => {
    expect(expectedMoveBy(jobRecord({ status: 'queued' }), 180_000)?.toISOString()).toBe(T0);
  });

  it.each(['scheduled', 'retry_scheduled'] as const)('%s: next_attempt_at, or the last change when that is later', (status) => {
    const record = jobRecord({ status });
    expect(expectedMoveBy(record, 180_000)?.toISOString()).toBe(record.job.next_attempt_at);

    const late = { ...record, job: { ...record.job, next_attempt_at: at(-60_000) } };
    expect(expectedMoveBy(late, 180_000)?.toISOString()).toBe(record.job.updated_at);
  });

  it('running: lease end plus the redelivery window', () => {
    expect(expectedMoveBy(claimedRecord({ startedAt: T0, leaseUntil: at(60_000) }), 180_000)?.toISOString()).toBe(at(240_000));
  });

  it.each(JOB_STATUSES.filter((s) => ['succeeded', 'failed', 'cancelled'].includes(s)))('%s: never (null)', (status) => {
    expect(expectedMoveBy(jobRecord({ status }), 180_000)).toBeNull();
  });
});

describe('isCurrentMessage', () => {
  const queued = jobRecord({ status: 'queued' });
  const running = transition(queued, 'running', new Date(at(1)));

  it('the current version, or the claim made from it', () => {
    expect(isCurrentMessage(queued, 1)).toBe(true);
    expect(isCurrentMessage(running, 1)).toBe(true);
    expect(isCurrentMessage(running, 2)).toBe(true);
  });

  it('anything older, or a version a non-running job has left', () => {
    expect(isCurrentMessage(running, 0)).toBe(false);
    expect(isCurrentMessage(transition(running, 'retry_scheduled', new Date(at(2))), 2)).toBe(false);
    expect(isCurrentMessage(queued, 2)).toBe(false);
  });
});

describe('redispatched / stranded', () => {
  it('a re-dispatch leaves the input untouched and keeps status, history and attempts', () => {
    const record = jobRecord({ status: 'retry_scheduled' });
    const snapshot = structuredClone(record);

    const next = redispatched(record, new Date(at(5_000)), { maxRedispatches: 3 });

    expect(record).toEqual(snapshot);
    expect(next).toMatchObject({
      version: record.version + 1,
      job: { status: 'retry_scheduled', attempts: record.job.attempts, status_history: record.job.status_history },
    });
    expect(redispatchesInCurrentRun(next.job)).toBe(1);
  });

  it.each(['running', 'succeeded'] as const)('refuses a %s job (only waiting jobs are re-dispatched or stranded)', (status) => {
    const record = jobRecord({ status });
    expect(() => redispatched(record, new Date(at(1)), { maxRedispatches: 3 })).toThrow();
    expect(() => stranded(record, new Date(at(1)), { maxRedispatches: 3 })).toThrow();
  });

  it('a requeue starts a new count', () => {
    let record = jobRecord({ status: 'queued' });
    record = redispatched(record, new Date(at(1_000)), { maxRedispatches: 3 });
    record = redispatched(record, new Date(at(2_000)), { maxRedispatches: 3 });
    expect(redispatchesInCurrentRun(record.job)).toBe(2);

    record = stranded(record, new Date(at(3_000)), { maxRedispatches: 2 });
    expect(record.job.status).toBe('failed');
    record = transition(record, 'queued', new Date(at(4_000))); // requeue
    expect(redispatchesInCurrentRun(record.job)).toBe(0);
  });
});
