import { beforeEach, describe, expect, it } from 'vitest';
import { JOB_STATUSES } from '../../../lambdas/api/schemas.ts';
import { transition } from '../../../lambdas/domain/job.ts';
import { dispatch, relayJobChange, sweepUndispatched } from '../../../lambdas/use-cases/dispatch.ts';
import { jobRecord, T0, TENANT } from '../builders.ts';
import { fakeDeps } from '../fakes.ts';

const NOW = '2026-03-01T12:10:00.000Z';
let deps: ReturnType<typeof fakeDeps>;

beforeEach(() => {
  deps = fakeDeps(NOW);
});

describe('dispatch', () => {
  it('enqueues a queued job, then confirms that version', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);

    await expect(dispatch(deps, record)).resolves.toBe(true);

    expect(deps.log).toEqual([`queue.enqueue ${record.job.id} v1`, `jobs.markDispatched ${record.job.id} v1`]);
    expect(deps.jobs.isPending(TENANT, record.job.id)).toBe(false);
  });

  it.each(['scheduled', 'retry_scheduled'] as const)('holds a %s job in the delay queue with the current time', async (status) => {
    const record = jobRecord({ status });
    deps.jobs.seed(record);

    await expect(dispatch(deps, record)).resolves.toBe(true);

    expect(deps.queue.sent).toEqual([{ kind: 'hold', record, now: new Date(NOW) }]);
    expect(deps.jobs.isPending(TENANT, record.job.id)).toBe(false);
  });

  it.each(JOB_STATUSES.filter((s) => !['queued', 'scheduled', 'retry_scheduled'].includes(s)))('sends nothing for a %s job', async (status) => {
    const record = jobRecord({ status });

    await expect(dispatch(deps, record)).resolves.toBe(false);
    expect(deps.log).toEqual([]);
  });

  it('does not confirm when the send fails, so the sweeper retries', async () => {
    const record = jobRecord();
    deps.jobs.seed(record);
    deps.queue.enqueue = async () => {
      throw new Error('SQS unavailable');
    };

    await expect(dispatch(deps, record)).rejects.toThrow('SQS unavailable');
    expect(deps.jobs.isPending(TENANT, record.job.id)).toBe(true);
  });

  it('a stale version leaves the newer version still owed', async () => {
    const v1 = jobRecord();
    const v2 = transition(transition(v1, 'running', new Date(T0)), 'queued', new Date(NOW));
    deps.jobs.seed(v2);

    await dispatch(deps, v1);

    expect(deps.jobs.isPending(TENANT, v1.job.id)).toBe(true);
  });
});

describe('relayJobChange', () => {
  const v1 = jobRecord();
  const v2 = transition(v1, 'retry_scheduled', new Date(NOW), { next_attempt_at: '2026-03-01T12:15:00.000Z' });

  it.each([
    ['an insert', null, v1, 'enqueue'],
    ['a status change', v1, v2, 'hold'],
  ] as const)('dispatches %s', async (_what, before, after, kind) => {
    await expect(relayJobChange(deps, { before, after })).resolves.toBe(true);
    expect(deps.queue.sent.map((s) => [s.kind, s.record.version])).toEqual([[kind, after.version]]);
  });

  it.each([
    ['a rewrite of the same version (e.g. markDispatched)', v1, { ...v1 }],
    ['a removal (TTL)', v1, null],
    ['a change to a terminal status', v1, transition(v1, 'cancelled', new Date(NOW))],
  ])('sends nothing for %s', async (_what, before, after) => {
    await expect(relayJobChange(deps, { before, after })).resolves.toBe(false);
    expect(deps.queue.sent).toEqual([]);
  });
});

describe('sweepUndispatched', () => {
  it('re-sends only jobs still undispatched after the grace period', async () => {
    // Prepare: changed 10 min ago (stale), 30 s ago (within grace), 10 min ago but already dispatched.
    const stale = jobRecord({ key: 'stale', now: T0 });
    const fresh = jobRecord({ key: 'fresh', status: 'scheduled', now: '2026-03-01T12:09:30.000Z' });
    const done = jobRecord({ key: 'done', now: T0 });
    deps.jobs.seed(stale);
    deps.jobs.seed(fresh);
    deps.jobs.seed(done, null);

    // Act
    const sent = await sweepUndispatched(deps, { graceSeconds: 60, limit: 25 });

    // Assess
    expect(sent).toBe(1);
    expect(deps.queue.sent.map((s) => s.record.job.id)).toEqual([stale.job.id]);
    expect(deps.jobs.isPending(TENANT, stale.job.id)).toBe(false);
    expect(deps.jobs.isPending(TENANT, fresh.job.id)).toBe(true);
  });

  it('uses now − grace as the cut-off, exclusively', async () => {
    deps.jobs.seed(jobRecord({ key: 'edge', now: '2026-03-01T12:09:00.000Z' }));
    await expect(sweepUndispatched(deps, { graceSeconds: 60, limit: 25 })).resolves.toBe(0);

    deps.clock.advance(1);
    await expect(sweepUndispatched(deps, { graceSeconds: 60, limit: 25 })).resolves.toBe(1);
  });

  it('sends at most `limit` per run', async () => {
    for (const key of ['a', 'b', 'c']) deps.jobs.seed(jobRecord({ key, now: T0 }));

    await expect(sweepUndispatched(deps, { graceSeconds: 60, limit: 2 })).resolves.toBe(2);
    await expect(sweepUndispatched(deps, { graceSeconds: 60, limit: 2 })).resolves.toBe(1);
  });
});
